using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>RFC 9293 §3.10.7.3, SEGMENT ARRIVES in SYN-SENT: the ACK check, the RST check, the SYN.</summary>
public class SynSentSegmentTests
{
    private static readonly Reactive.Tcp.Tcp.TcpConfig NoOptions = DefaultConfig with { WindowScaling = false, Sack = false, Timestamps = false };

    [Fact]
    public void Ack_at_our_isn_in_syn_sent_gets_a_rst_at_that_ack()
    {
        SynSent(NoOptions).At(1).Segment("[.] seq 5000 ack 1000 win 65535")
            .Sends("[R] seq 1000 win 0 <>").Dropped().Is(TcpState.SynSent);
    }

    [Fact]
    public void Ack_below_our_isn_in_syn_sent_gets_a_rst_at_that_ack()
    {
        SynSent(NoOptions).At(1).Segment("[S.] seq 5000 ack 900 win 65535 <mss 1460>")
            .Sends("[R] seq 900 win 0 <>").Is(TcpState.SynSent);
    }

    [Fact]
    public void Ack_beyond_snd_nxt_in_syn_sent_gets_a_rst_at_that_ack()
    {
        SynSent(NoOptions).At(1).Segment("[S.] seq 5000 ack 1002 win 65535 <mss 1460>")
            .Sends("[R] seq 1002 win 0 <>").Is(TcpState.SynSent);
    }

    [Fact]
    public void Rst_with_an_unacceptable_ack_in_syn_sent_is_dropped_silently()
    {
        SynSent(NoOptions).At(1).Segment("[R.] seq 5000 ack 999 win 0")
            .SendsNothing().Dropped().Is(TcpState.SynSent);
    }

    [Fact]
    public void Rst_acknowledging_our_syn_refuses_the_connection()
    {
        SynSent(NoOptions).At(1).Segment("[R.] seq 0 ack 1001 win 0").SendsNothing().IsClosedWith(TcpError.Refused);
    }

    [Fact]
    public void Rst_without_ack_in_syn_sent_is_dropped()
    {
        SynSent(NoOptions).At(1).Segment("[R] seq 5000 win 0").SendsNothing().Dropped().Is(TcpState.SynSent);
    }

    [Fact]
    public void Syn_ack_in_syn_sent_completes_the_handshake_with_an_ack()
    {
        SynSent(NoOptions).At(1).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>")
            .Connected()
            .Is(TcpState.Established);
    }

    [Fact]
    public void Syn_ack_sets_irs_rcv_nxt_snd_una_and_the_unscaled_send_window()
    {
        var h = SynSent(NoOptions).At(1).Segment("[S.] seq 5000 ack 1001 win 20000 <mss 1460>");
        Assert.Equal(5000u, h.Irs);
        Assert.Equal(5001u, h.RcvNxt);
        Assert.Equal(1001u, h.SndUna);
        Assert.Equal(20000, h.SndWnd);
    }

    [Fact]
    public void Syn_ack_gives_an_rtt_sample_from_the_syn_and_clears_the_timer()
    {
        var h = SynSent(NoOptions).At(30).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460>");
        Assert.Equal(TimeSpan.FromMilliseconds(30), h.SmoothedRtt);
        Assert.Null(h.RetransmitAt);
    }

    [Fact]
    public void Syn_ack_with_timestamps_answering_ours_turns_timestamps_on()
    {
        var h = SynSent(DefaultConfig with { WindowScaling = false, Sack = false });
        h.At(1).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460,TS val 700 ecr 0>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <TS val 1 ecr 700>");
        Assert.True(h.TimestampsEnabled);
    }

    [Fact]
    public void Syn_ack_with_sack_permitted_answering_ours_turns_sack_on()
    {
        var h = SynSent(DefaultConfig with { WindowScaling = false, Timestamps = false });
        h.At(1).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460,sackOK>").Sends("[.] seq 1001 ack 5001 win 65535 <>");
        Assert.True(h.SackEnabled);
    }

    [Fact]
    public void Syn_ack_without_sack_permitted_leaves_sack_off()
    {
        var h = SynSent().At(1).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460>");
        Assert.False(h.SackEnabled);
        Assert.False(h.TimestampsEnabled);
    }

    [Fact]
    public void Syn_ack_with_every_option_turns_on_timestamps_and_window_scaling()
    {
        var h = SynSent().At(5).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,wscale 7>")
            .Sends("[.] seq 1001 ack 5001 win 32768 <TS val 5 ecr 100>");
        Assert.True(h.SackEnabled);
        Assert.Equal(7, h.SndWndShift);
        Assert.Equal(3, h.RcvWndShift);
    }

    [Fact]
    public void Simultaneous_open_syn_ack_answers_each_option_the_peers_syn_offered()
    {
        SynSent().At(1).Segment("[S] seq 5000 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,wscale 7>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,sackOK,TS val 1 ecr 100,wscale 3>");
    }

    [Fact]
    public void Syn_alone_in_syn_sent_is_a_simultaneous_open_answered_with_a_syn_ack()
    {
        SynSent().At(1).Segment("[S] seq 5000 win 65535 <mss 1460>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>")
            .Is(TcpState.SynReceived);
    }

    [Fact]
    public void Simultaneous_open_completes_on_the_peers_syn_ack_with_an_ack()
    {
        var h = SynSent(NoOptions);
        h.At(1).Segment("[S] seq 5000 win 65535 <mss 1460>").Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>");
        h.At(2).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>")
            .Is(TcpState.Established);
    }

    [Fact]
    public void Simultaneous_open_completes_on_a_plain_ack_without_a_reply()
    {
        var h = SynSent(NoOptions);
        h.At(1).Segment("[S] seq 5000 win 65535 <mss 1460>");
        h.At(2).Segment("[.] seq 5001 ack 1001 win 65535").SendsNothing().Connected().Is(TcpState.Established);
    }

    [Fact]
    public void Acceptable_ack_without_syn_or_rst_in_syn_sent_is_dropped()
    {
        SynSent(NoOptions).At(1).Segment("[.] seq 5000 ack 1001 win 65535").SendsNothing().Dropped().Is(TcpState.SynSent);
    }

    [Fact]
    public void Segment_without_any_control_in_syn_sent_is_dropped()
    {
        SynSent(NoOptions).At(1).Segment("[P] seq 5000 win 65535 \"x\"").SendsNothing().Dropped().Is(TcpState.SynSent);
    }

    [Fact]
    public void Syn_ack_with_data_acknowledges_only_the_syn_as_rxtcp_leaves_the_data_for_a_resend()
    {
        // RFC 9293 §3.10.7.3 goes on to process text on a SYN-ACK; RxTcp drops it (the peer resends it).
        SynSent(NoOptions).At(1).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460> len 5")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>")
            .Is(TcpState.Established);
    }

    [Fact]
    public void Syn_ack_answering_an_ecn_setup_syn_turns_ecn_on()
    {
        var h = SynSent(NoOptions with { Ecn = EcnMode.On });
        h.At(1).Segment("[SE.] seq 5000 ack 1001 win 65535 <mss 1460>").Sends("[.] seq 1001 ack 5001 win 65535 <>");
        h.At(2).Send("x").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 1 \"x\" ect0");
    }
}
