using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.7.2, SEGMENT ARRIVES in LISTEN: RST ignored, ACK reset, SYN answered with our
/// SYN-ACK (options only as the SYN offered them), anything else dropped. In RxTcp a LISTEN block is
/// the listener's half-open child for one 4-tuple: whatever does not open it lets it go.
/// </summary>
public class ListenStateSegmentTests
{
    [Fact]
    public void Rst_in_listen_is_ignored_and_the_waiting_block_let_go()
    {
        Listening().Segment("[R] seq 5000 win 0").SendsNothing().Dropped().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Syn_rst_in_listen_is_ignored_as_a_rst()
    {
        Listening().Segment("[SR] seq 5000 win 0").SendsNothing().Dropped();
    }

    [Fact]
    public void Ack_in_listen_gets_a_rst_at_its_ack_number()
    {
        Listening().Segment("[.] seq 5000 ack 4242 win 65535").Sends("[R] seq 4242 win 0 <>").IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Syn_ack_in_listen_gets_a_rst_at_its_ack_number()
    {
        Listening().Segment("[S.] seq 5000 ack 77 win 65535 <mss 1460>").Sends("[R] seq 77 win 0 <>");
    }

    [Fact]
    public void Syn_in_listen_is_answered_with_syn_ack_and_enters_syn_received()
    {
        var h = Listening().Segment(PlainSyn)
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>")
            .Is(TcpState.SynReceived);
        Assert.Equal(5000u, h.Irs);
        Assert.Equal(5001u, h.RcvNxt);
        Assert.Equal(1001u, h.SndNxt);
        Assert.Equal(1000u, h.SndUna);
    }

    [Fact]
    public void Syn_ack_arms_the_retransmission_timer_at_the_initial_rto()
    {
        var h = Listening().At(3).Segment(PlainSyn);
        Assert.Equal(TimeSpan.FromMilliseconds(1003), h.RetransmitAt);
    }

    [Fact]
    public void Syn_ack_offers_sack_only_when_the_syn_did()
    {
        Listening().Segment(SackSyn).Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,sackOK>");
    }

    [Fact]
    public void Syn_ack_carries_a_timestamp_echoing_the_syns_only_when_the_syn_had_one()
    {
        Listening().At(7).Segment(TimestampSyn).Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,TS val 7 ecr 100>");
    }

    [Fact]
    public void Syn_with_every_option_gets_every_option_back()
    {
        Listening().At(2).Segment("[S] seq 5000 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,wscale 7>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,sackOK,TS val 2 ecr 100,wscale 3>");
    }

    [Fact]
    public void Syn_with_options_we_turned_off_gets_none_of_them_back()
    {
        Listening(DefaultConfig with { Sack = false, Timestamps = false, WindowScaling = false })
            .Segment("[S] seq 5000 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,wscale 7>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>");
    }

    [Fact]
    public void Syn_without_mss_sets_the_peer_mss_to_the_default_536()
    {
        var h = Listening().Segment("[S] seq 5000 win 65535");
        Assert.Equal(536, h.EffectiveMss);
    }

    [Fact]
    public void Syn_with_a_small_mss_bounds_our_segment_size()
    {
        var h = Listening().Segment("[S] seq 5000 win 65535 <mss 100>");
        Assert.Equal(100, h.EffectiveMss);
    }

    [Fact]
    public void Syn_with_data_in_listen_acknowledges_only_the_syn_as_rxtcp_leaves_the_data_for_a_resend()
    {
        // RFC 9293 §3.10.7.2 lets text on a SYN be queued for later; RxTcp drops it (the peer resends it).
        Listening().Segment("[S] seq 5000 win 65535 <mss 1460> len 10")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>");
    }

    [Fact]
    public void Segment_with_neither_syn_ack_nor_rst_in_listen_is_dropped()
    {
        Listening().Segment("[P] seq 5000 win 65535 \"x\"").SendsNothing().Dropped().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Fin_alone_in_listen_is_dropped()
    {
        Listening().Segment("[F] seq 5000 win 65535").SendsNothing().Dropped();
    }

    [Fact]
    public void Syn_asking_for_ecn_in_listen_gets_an_ecn_setup_syn_ack()
    {
        Listening().Segment("[SEW] seq 5000 win 65535 <mss 1460>").Sends("[SE.] seq 1000 ack 5001 win 65535 <mss 1460>");
    }

    [Fact]
    public void Syn_asking_for_ecn_gets_a_plain_syn_ack_when_ecn_is_off()
    {
        Listening(DefaultConfig with { Ecn = EcnMode.Off }).Segment("[SEW] seq 5000 win 65535 <mss 1460>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>");
    }
}
