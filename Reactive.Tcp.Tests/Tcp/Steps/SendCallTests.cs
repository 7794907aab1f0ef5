using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>RFC 9293 §3.10.2, SEND call, in each state; segmentation, Nagle and the windows that bound it.</summary>
public class SendCallTests
{
    [Fact]
    public void Send_in_closed_takes_nothing_and_reports_the_connection_gone()
    {
        Closed().Send("hello").Accepted(0).SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Send_in_listen_takes_nothing_in_rxtcp_where_a_listen_block_never_turns_active()
    {
        // RFC 9293 lets SEND in LISTEN turn it active; RxTcp's LISTEN blocks are half-open children of a listener.
        Listening().Send("hello").Accepted(0).SendsNothing().Is(TcpState.Listen);
    }

    [Fact]
    public void Send_in_syn_sent_is_queued_and_follows_the_ack_that_completes_the_handshake()
    {
        var h = SynSent(DefaultConfig with { Sack = false, Timestamps = false, WindowScaling = false });
        h.Send("hello").Accepted(5).SendsNothing().Is(TcpState.SynSent);
        h.At(1).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>", "[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"")
            .Is(TcpState.Established);
    }

    [Fact]
    public void Send_in_syn_received_is_queued_and_goes_out_when_the_handshake_completes()
    {
        var h = SynReceived();
        h.Send("hello").Accepted(5).SendsNothing();
        h.At(1).Segment("[.] seq 5001 ack 1001 win 65535")
            .Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"")
            .Is(TcpState.Established);
    }

    [Fact]
    public void Send_in_established_goes_out_at_once_with_push_on_the_last_segment()
    {
        Established().At(2).Send("hello").Accepted(5)
            .Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
    }

    [Fact]
    public void Send_cuts_data_into_segments_of_the_peers_mss()
    {
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 65535 <mss 1000>");
        h.At(2).Send(2500).Sends(
            "[.] seq 1001 ack 5001 win 65535 <> len 1000",
            "[.] seq 2001 ack 5001 win 65535 <> len 1000",
            "[P.] seq 3001 ack 5001 win 65535 <> len 500");
    }

    [Fact]
    public void Send_uses_536_bytes_when_the_peer_announced_no_mss()
    {
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 65535 <>");
        h.At(2).Send(600).Sends(
            "[.] seq 1001 ack 5001 win 65535 <> len 536",
            "[P.] seq 1537 ack 5001 win 65535 <> len 64");
    }

    [Fact]
    public void Send_never_exceeds_our_own_mss_when_the_peer_announces_a_larger_one()
    {
        var h = Established(DefaultConfig with { NoDelay = true, MssOverride = 500 }, syn: "[S] seq 5000 win 65535 <mss 9000>");
        h.At(2).Send(700).Sends(
            "[.] seq 1001 ack 5001 win 65535 <> len 500",
            "[P.] seq 1501 ack 5001 win 65535 <> len 200");
    }

    [Fact]
    public void Nagle_holds_a_small_tail_while_data_is_unacknowledged_and_sends_it_on_the_ack()
    {
        var h = Established(syn: "[S] seq 5000 win 65535 <mss 1000>");
        h.At(2).Send(2500).Sends(
            "[.] seq 1001 ack 5001 win 65535 <> len 1000",
            "[.] seq 2001 ack 5001 win 65535 <> len 1000");
        h.At(3).Segment("[.] seq 5001 ack 3001 win 65535")
            .Sends("[P.] seq 3001 ack 5001 win 65535 <> len 500");
    }

    [Fact]
    public void Nagle_holds_a_second_small_send_until_the_first_is_acknowledged()
    {
        var h = Established();
        h.At(2).Send("hel").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 3 \"hel\"");
        h.At(3).Send("lo").Accepted(2).SendsNothing();
        h.At(4).Segment("[.] seq 5001 ack 1004 win 65535").Sends("[P.] seq 1004 ack 5001 win 65535 <> len 2 \"lo\"");
    }

    [Fact]
    public void No_delay_sends_a_second_small_send_at_once()
    {
        var h = Established(DefaultConfig with { NoDelay = true });
        h.At(2).Send("hel").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 3 \"hel\"");
        h.At(3).Send("lo").Sends("[P.] seq 1004 ack 5001 win 65535 <> len 2 \"lo\"");
    }

    [Fact]
    public void Send_is_bounded_by_the_peers_window()
    {
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 1000 <mss 1460>");
        h.At(2).Send(3000).Accepted(3000).Sends("[.] seq 1001 ack 5001 win 65535 <> len 1000");
        h.At(3).Segment("[.] seq 5001 ack 2001 win 1000").Sends("[.] seq 2001 ack 5001 win 65535 <> len 1000");
    }

    [Fact]
    public void Send_is_bounded_by_an_initial_congestion_window_of_ten_segments()
    {
        var h = Established(DefaultConfig with { NoDelay = true });
        h.At(2).Send(20_000).Sends(Enumerable.Range(0, 10).Select(i => $"[.] seq {1001 + i * 1460} ack 5001 win 65535 <> len 1460").ToArray());
        Assert.Equal(14_600, h.Cwnd);
    }

    [Fact]
    public void Send_takes_only_what_the_send_buffer_holds()
    {
        var h = Established(DefaultConfig with { SendBufferSize = 1000, NoDelay = true }, syn: "[S] seq 5000 win 0 <mss 1460>");
        h.At(2).Send(1500).Accepted(1000).SendsNothing();
        h.At(3).Send(10).Accepted(0);
    }

    [Fact]
    public void Send_in_close_wait_is_still_allowed_since_only_the_peer_has_closed()
    {
        CloseWait().At(3).Send("bye").Accepted(3)
            .Sends("[P.] seq 1001 ack 5002 win 65535 <> len 3 \"bye\"")
            .Is(TcpState.CloseWait);
    }

    [Theory]
    [InlineData(TcpState.FinWait1)]
    [InlineData(TcpState.FinWait2)]
    [InlineData(TcpState.Closing)]
    [InlineData(TcpState.LastAck)]
    [InlineData(TcpState.TimeWait)]
    public void Send_after_our_close_is_refused_with_nothing_taken(TcpState state)
    {
        In(state).After(1).Send("late").Accepted(0).SendsNothing().Is(state);
    }

    [Fact]
    public void Send_after_close_was_asked_in_syn_received_is_refused()
    {
        SynReceived().Close().Send("late").Accepted(0).SendsNothing().Is(TcpState.SynReceived);
    }

    [Fact]
    public void Send_into_a_zero_window_sends_nothing_and_arms_the_persist_timer()
    {
        var h = Established(syn: "[S] seq 5000 win 0 <mss 1460>");
        h.At(2).Send("hello").Accepted(5).SendsNothing();
        Assert.Equal(TimeSpan.FromMilliseconds(202), h.PersistAt);
        Assert.Null(h.RetransmitAt);
    }

    [Fact]
    public void A_window_update_releases_data_held_by_a_zero_window()
    {
        var h = Established(syn: "[S] seq 5000 win 0 <mss 1460>");
        h.At(2).Send("hello").SendsNothing();
        h.At(3).Segment("[.] seq 5001 ack 1001 win 100").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
        Assert.Null(h.PersistAt);
    }

    [Fact]
    public void Sender_sws_avoidance_holds_a_window_limited_sliver_while_data_is_in_flight()
    {
        // RFC 9293 §3.8.6.2.1: with data in flight, send only a full segment, or at least half the
        // largest window the peer offered; a 100-byte window out of 4000 is neither.
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 4000 <mss 1000>");
        h.At(2).Send(10_000).Sends(Enumerable.Range(0, 4).Select(i => $"[.] seq {1001 + i * 1000} ack 5001 win 65535 <> len 1000").ToArray());
        h.At(3).Segment("[.] seq 5001 ack 1101 win 4000").SendsNothing(); // 100 bytes of room
        h.At(4).Segment("[.] seq 5001 ack 3001 win 4000").Sends(
            "[.] seq 5001 ack 5001 win 65535 <> len 1000",
            "[.] seq 6001 ack 5001 win 65535 <> len 1000");
    }
}
