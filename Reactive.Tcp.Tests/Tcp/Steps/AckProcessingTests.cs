using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.7.4, fifth check (the ACK field) in each synchronised state, with RFC 5961 §5's
/// acceptable range [SND.UNA − MAX.SND.WND, SND.NXT], and the send-window update rule (SND.WL1/WL2).
/// </summary>
public class AckProcessingTests
{
    private static readonly TcpConfig NoDelay = DefaultConfig with { NoDelay = true };

    [Fact]
    public void Segment_without_ack_in_established_is_dropped()
    {
        var h = Established().At(2).Segment("[P] seq 5001 win 65535 \"hi\"").SendsNothing().Dropped().Delivers("");
        Assert.Equal(5001u, h.RcvNxt);
    }

    [Fact]
    public void Ack_of_all_outstanding_data_advances_snd_una_and_stops_the_timer()
    {
        var h = Established();
        h.At(2).Send("hello");
        Assert.Equal(TimeSpan.FromMilliseconds(202), h.RetransmitAt);
        h.At(3).Segment("[.] seq 5001 ack 1006 win 65535").SendsNothing();
        Assert.Equal(1006u, h.SndUna);
        Assert.Equal(0, h.SendQueued);
        Assert.Null(h.RetransmitAt);
    }

    [Fact]
    public void Partial_ack_advances_snd_una_and_restarts_the_timer()
    {
        var h = Established(NoDelay, syn: "[S] seq 5000 win 65535 <mss 1000>");
        h.At(2).Send(2000);
        h.At(10).Segment("[.] seq 5001 ack 2001 win 65535").SendsNothing();
        Assert.Equal(2001u, h.SndUna);
        Assert.Equal(1000, h.SendQueued);
        Assert.Equal(TimeSpan.FromMilliseconds(210), h.RetransmitAt);
    }

    [Fact]
    public void Duplicate_ack_is_taken_without_a_reply()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Segment("[.] seq 5001 ack 1001 win 65535").SendsNothing().Dropped(false);
        Assert.Equal(1001u, h.SndUna);
        Assert.Equal(1, h.DupAcks);
    }

    [Fact]
    public void Ack_beyond_snd_nxt_of_data_sent_before_a_timeout_is_acceptable()
    {
        // After a timeout SND.NXT goes back to SND.UNA; an ACK of everything sent before is still
        // valid, so RxTcp bounds the ACK by the highest sequence number sent (SND.MAX), not SND.NXT.
        var h = Established(NoDelay, syn: "[S] seq 5000 win 65535 <mss 1000>");
        h.At(2).Send(2000);
        h.FireNextTimer().Sends("[.] seq 1001 ack 5001 win 65535 <> len 1000");
        Assert.Equal(2001u, h.SndNxt);
        h.At(210).Segment("[.] seq 5001 ack 3001 win 65535").SendsNothing().Dropped(false);
        Assert.Equal(3001u, h.SndUna);
        Assert.Null(h.RetransmitAt);
    }

    [Fact]
    public void Ack_of_data_never_sent_is_answered_with_an_ack_and_dropped()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Segment("[.] seq 5001 ack 1100 win 65535")
            .Sends("[.] seq 1006 ack 5001 win 65535 <>").Dropped().Limited(LimitedAck.Challenge);
        Assert.Equal(1001u, h.SndUna);
    }

    [Fact]
    public void Data_on_a_segment_acknowledging_unsent_data_is_not_taken()
    {
        var h = Established().At(2).Segment("[P.] seq 5001 ack 1100 win 65535 \"hi\"")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Dropped().Delivers("");
        Assert.Equal(5001u, h.RcvNxt);
    }

    [Fact]
    public void Old_ack_within_max_snd_wnd_below_snd_una_is_acceptable_and_its_data_taken()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Segment("[.] seq 5001 ack 1006 win 65535");
        h.At(4).Segment("[P.] seq 5001 ack 1001 win 65535 \"hi\"")
            .Sends("[.] seq 1006 ack 5003 win 65535 <>").Delivers("hi");
        Assert.Equal(1006u, h.SndUna);
    }

    /// <summary>MAX.SND.WND 1000, 1500 bytes sent and acknowledged: SND.UNA 2501.</summary>
    private static StepHarness SndUna2501()
    {
        var h = Established(NoDelay, syn: "[S] seq 5000 win 1000 <mss 1460>");
        h.At(2).Send(1500).Sends("[.] seq 1001 ack 5001 win 65535 <> len 1000");
        h.At(3).Segment("[.] seq 5001 ack 2001 win 1000").Sends("[P.] seq 2001 ack 5001 win 65535 <> len 500");
        h.At(4).Segment("[.] seq 5001 ack 2501 win 1000");
        Assert.Equal(1000, h.MaxSndWnd);
        return h;
    }

    [Fact]
    public void Ack_exactly_max_snd_wnd_below_snd_una_is_still_acceptable()
    {
        SndUna2501().At(5).Segment("[P.] seq 5001 ack 1501 win 1000 \"hi\"")
            .Sends("[.] seq 2501 ack 5003 win 65535 <>").Delivers("hi");
    }

    [Fact]
    public void Ack_more_than_max_snd_wnd_below_snd_una_gets_challenge_ack_and_its_data_is_dropped()
    {
        SndUna2501().At(5).Segment("[P.] seq 5001 ack 1500 win 1000 \"hi\"")
            .Sends("[.] seq 2501 ack 5001 win 65535 <>").Limited(LimitedAck.Challenge).Dropped().Delivers("");
    }

    [Fact]
    public void Ack_of_our_fin_in_fin_wait_1_enters_fin_wait_2()
    {
        FinWait1().At(3).Segment("[.] seq 5001 ack 1002 win 65535").SendsNothing().Is(TcpState.FinWait2);
    }

    [Fact]
    public void Ack_short_of_our_fin_in_fin_wait_1_stays_in_fin_wait_1()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Close().Sends("[F.] seq 1006 ack 5001 win 65535 <>");
        h.At(4).Segment("[.] seq 5001 ack 1006 win 65535").SendsNothing().Is(TcpState.FinWait1);
        Assert.Equal(1006u, h.SndUna);
    }

    [Fact]
    public void Ack_in_fin_wait_2_is_taken_without_a_reply()
    {
        FinWait2().At(4).Segment("[.] seq 5001 ack 1002 win 65535").SendsNothing().Dropped(false).Is(TcpState.FinWait2);
    }

    [Fact]
    public void Ack_in_close_wait_acknowledges_our_data_as_in_established()
    {
        var h = CloseWait();
        h.At(3).Send("bye");
        h.At(4).Segment("[.] seq 5002 ack 1004 win 65535").SendsNothing().Is(TcpState.CloseWait);
        Assert.Equal(1004u, h.SndUna);
    }

    [Fact]
    public void Ack_of_our_fin_in_closing_enters_time_wait()
    {
        var h = Closing().At(4).Segment("[.] seq 5002 ack 1002 win 65535").SendsNothing().Is(TcpState.TimeWait);
        Assert.Equal(TimeSpan.FromMilliseconds(4) + TimeSpan.FromSeconds(240), h.TimeWaitEndsAt);
        Assert.Null(h.RetransmitAt);
    }

    [Fact]
    public void Ack_short_of_our_fin_in_closing_stays_in_closing()
    {
        Closing().At(4).Segment("[.] seq 5002 ack 1001 win 65535").SendsNothing().Is(TcpState.Closing);
    }

    [Fact]
    public void Ack_of_our_fin_in_last_ack_closes_the_connection()
    {
        LastAck().At(4).Segment("[.] seq 5002 ack 1002 win 65535").SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Ack_short_of_our_fin_in_last_ack_stays_in_last_ack()
    {
        LastAck().At(4).Segment("[.] seq 5002 ack 1001 win 65535").SendsNothing().Is(TcpState.LastAck);
    }

    [Fact]
    public void Ack_in_time_wait_is_taken_without_a_reply()
    {
        TimeWait().At(5).Segment("[.] seq 5002 ack 1002 win 65535").SendsNothing().Is(TcpState.TimeWait);
    }

    // --- the send window: taken from a segment newer than the last one used (SND.WL1, SND.WL2)

    [Fact]
    public void Window_from_a_newer_segment_updates_the_send_window()
    {
        var h = Established().At(2).Segment("[.] seq 5001 ack 1001 win 30000");
        Assert.Equal(30000, h.SndWnd);
        Assert.Equal(5001u, h.SndWl1);
        Assert.Equal(1001u, h.SndWl2);
    }

    [Fact]
    public void Window_from_a_segment_older_than_the_last_update_is_ignored()
    {
        var h = Established();
        h.At(2).Segment("[P.] seq 5001 ack 1001 win 30000 \"abc\"");
        h.At(3).Segment("[P.] seq 5004 ack 1001 win 20000 \"def\"");
        // Overlaps RCV.NXT, so acceptable, but starts before SND.WL1 (5004): its window is stale.
        h.At(4).Segment("[P.] seq 5001 ack 1001 win 50000 \"abcdefg\"").Sends("[.] seq 1001 ack 5008 win 65535 <>");
        Assert.Equal(20000, h.SndWnd);
    }

    [Fact]
    public void Window_from_the_same_segment_number_with_a_newer_ack_updates_the_send_window()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Segment("[.] seq 5001 ack 1006 win 40000");
        Assert.Equal(40000, h.SndWnd);
        Assert.Equal(1006u, h.SndWl2);
    }

    [Fact]
    public void Window_from_the_same_segment_number_with_an_older_ack_is_ignored()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Segment("[.] seq 5001 ack 1006 win 40000");
        h.At(4).Segment("[.] seq 5001 ack 1001 win 10");
        Assert.Equal(40000, h.SndWnd);
    }

    [Fact]
    public void Ack_that_only_changes_the_window_is_a_window_update_not_a_duplicate()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Segment("[.] seq 5001 ack 1001 win 60000").SendsNothing();
        Assert.Equal(0, h.DupAcks);
        Assert.Equal(60000, h.SndWnd);
    }

    [Fact]
    public void Window_shrunk_to_zero_with_data_waiting_arms_the_persist_timer()
    {
        var h = Established(NoDelay, syn: "[S] seq 5000 win 1000 <mss 1460>");
        h.At(2).Send(1500).Sends("[.] seq 1001 ack 5001 win 65535 <> len 1000");
        h.At(3).Segment("[.] seq 5001 ack 2001 win 0").SendsNothing();
        Assert.Equal(0, h.SndWnd);
        Assert.Equal(TimeSpan.FromMilliseconds(203), h.PersistAt);
    }
}
