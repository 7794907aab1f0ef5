using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>RFC 9293 §3.10.1, OPEN call, in each state (active opens; passive ones are the listener's and start in LISTEN).</summary>
public class OpenCallTests
{
    [Fact]
    public void Open_in_closed_sends_a_syn_offering_mss_sack_timestamps_and_window_scale_and_enters_syn_sent()
    {
        Closed().Connect()
            .Sends("[S] seq 1000 win 65535 <mss 1460,sackOK,TS val 0 ecr 0,wscale 3>")
            .Is(TcpState.SynSent);
    }

    [Fact]
    public void Open_arms_the_retransmission_timer_at_the_initial_rto_of_one_second()
    {
        var h = Closed().At(5).Connect();
        Assert.Equal(TimeSpan.FromMilliseconds(1005), h.RetransmitAt);
    }

    [Fact]
    public void Open_puts_the_current_millisecond_clock_in_the_syn_timestamp()
    {
        Closed().At(1234).Connect()
            .Sends("[S] seq 1000 win 65535 <mss 1460,sackOK,TS val 1234 ecr 0,wscale 3>");
    }

    [Fact]
    public void Open_with_every_option_turned_off_sends_a_syn_with_only_the_mss()
    {
        Closed(DefaultConfig with { WindowScaling = false, Sack = false, Timestamps = false }).Connect()
            .Sends("[S] seq 1000 win 65535 <mss 1460>");
    }

    [Fact]
    public void Open_announces_an_mss_of_the_mtu_less_forty()
    {
        Closed(DefaultConfig with { Mtu = 1280, WindowScaling = false, Sack = false, Timestamps = false }).Connect()
            .Sends("[S] seq 1000 win 65535 <mss 1240>");
    }

    [Fact]
    public void Open_uses_the_chosen_iss_for_the_syn()
    {
        Closed(iss: 4_294_967_000).Connect()
            .Sends("[S] seq 4294967000 win 65535 <mss 1460,sackOK,TS val 0 ecr 0,wscale 3>");
    }

    [Fact]
    public void Open_with_ecn_on_sends_an_ecn_setup_syn()
    {
        Closed(DefaultConfig with { Ecn = EcnMode.On }).Connect()
            .Sends("[SEW] seq 1000 win 65535 <mss 1460,sackOK,TS val 0 ecr 0,wscale 3>");
    }

    [Fact]
    public void Open_with_a_small_receive_buffer_offers_that_buffer_as_the_syn_window()
    {
        Closed(DefaultConfig with { ReceiveBufferSize = 3000, Sack = false, Timestamps = false }).Connect()
            .Sends("[S] seq 1000 win 3000 <mss 1460,wscale 0>");
    }

    [Fact]
    public void Open_in_listen_is_ignored_by_rxtcp_whose_listener_blocks_never_turn_active()
    {
        // RFC 9293 lets OPEN turn a LISTEN into an active open; RxTcp's listeners are not blocks, a
        // LISTEN block is a half-open child waiting for its first segment, so a Connect leaves it be.
        Listening().Connect().SendsNothing().Is(TcpState.Listen);
    }

    [Theory]
    [InlineData(TcpState.SynSent)]
    [InlineData(TcpState.SynReceived)]
    [InlineData(TcpState.Established)]
    [InlineData(TcpState.FinWait1)]
    [InlineData(TcpState.FinWait2)]
    [InlineData(TcpState.CloseWait)]
    [InlineData(TcpState.Closing)]
    [InlineData(TcpState.LastAck)]
    [InlineData(TcpState.TimeWait)]
    public void Open_on_an_existing_connection_is_refused_and_changes_nothing(TcpState state)
    {
        var h = In(state);
        uint nxt = h.SndNxt;
        h.After(1).Connect().SendsNothing().Is(state);
        Assert.Equal(nxt, h.SndNxt);
    }
}
