using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.8, timeouts: the retransmission timeout (with RFC 6298's backoff and RFC 5681's
/// window after a timeout), the TIME-WAIT timeout, and the user timeout, which RxTcp has as a limit
/// on retransmissions; also the persist and keep-alive timers of §3.8.6.1 and §3.8.4.
/// </summary>
public class TimeoutTests
{
    [Fact]
    public void Retransmission_timeout_resends_the_oldest_unacknowledged_segment()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.FireNextTimer().Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"").Retransmitted(1);
        Assert.Equal(202, h.NowMs);
    }

    [Fact]
    public void Retransmission_timeout_doubles_the_rto()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.FireNextTimer();
        Assert.Equal(TimeSpan.FromMilliseconds(400), h.Rto);
        Assert.Equal(TimeSpan.FromMilliseconds(602), h.RetransmitAt);
        h.FireNextTimer().Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
        Assert.Equal(TimeSpan.FromMilliseconds(1402), h.RetransmitAt);
    }

    [Fact]
    public void Ack_after_a_retransmission_clears_the_backoff()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.FireNextTimer();
        h.At(250).Segment("[.] seq 5001 ack 1006 win 65535");
        Assert.Equal(TimeSpan.FromMilliseconds(200), h.Rto);
        Assert.Null(h.RetransmitAt);
    }

    [Fact]
    public void Retransmission_timeout_collapses_the_congestion_window_to_one_segment()
    {
        var h = Established(DefaultConfig with { NoDelay = true });
        h.At(2).Send(20_000);
        h.FireNextTimer().Sends("[.] seq 1001 ack 5001 win 65535 <> len 1460");
        Assert.Equal(1460, h.Cwnd);
        Assert.Equal(10_220, h.Ssthresh); // CUBIC: 0.7 × the 14600 bytes in flight
    }

    [Fact]
    public void Retransmission_limit_stands_for_the_user_timeout_resetting_the_peer_and_failing_timed_out()
    {
        // RxTcp has no USER TIMEOUT call; the connection gives up after MaxRetransmissions expiries.
        var h = Established(DefaultConfig with { MaxRetransmissions = 2 });
        h.At(2).Send("hello");
        h.FireNextTimer().Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
        h.FireNextTimer().Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
        h.FireNextTimer().Sends("[R] seq 1006 win 0 <>").IsClosedWith(TcpError.TimedOut);
        Assert.Equal(1402, h.NowMs);
    }

    [Fact]
    public void Syn_is_retransmitted_with_a_fresh_timestamp_and_a_doubled_timeout()
    {
        var h = SynSent();
        h.FireNextTimer().Sends("[S] seq 1000 win 65535 <mss 1460,sackOK,TS val 1000 ecr 0,wscale 3>").Retransmitted(1);
        Assert.Equal(TimeSpan.FromMilliseconds(3000), h.RetransmitAt);
    }

    [Fact]
    public void Retransmitted_syn_no_longer_asks_for_ecn()
    {
        var h = SynSent(DefaultConfig with { Ecn = EcnMode.On, Sack = false, Timestamps = false, WindowScaling = false });
        h.FireNextTimer().Sends("[S] seq 1000 win 65535 <mss 1460>");
    }

    [Fact]
    public void Syn_retransmission_limit_fails_the_open_without_a_reset()
    {
        var h = SynSent(DefaultConfig with { MaxSynRetransmissions = 1 });
        h.FireNextTimer().Sends("[S] seq 1000 win 65535 <mss 1460,sackOK,TS val 1000 ecr 0,wscale 3>");
        h.FireNextTimer().SendsNothing().IsClosedWith(TcpError.TimedOut);
    }

    [Fact]
    public void Rto_after_a_retransmitted_syn_is_three_seconds_once_data_flows()
    {
        // RFC 6298 §5.7: Karn's rule left no sample, so an RTO below 3 s is re-initialised to 3 s.
        var h = SynSent(DefaultConfig with { Sack = false, Timestamps = false, WindowScaling = false });
        h.FireNextTimer();
        h.At(1001).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460>").Sends("[.] seq 1001 ack 5001 win 65535 <>");
        Assert.Equal(TimeSpan.FromSeconds(3), h.Rto);
        h.At(1002).Send("x");
        Assert.Equal(TimeSpan.FromMilliseconds(4002), h.RetransmitAt);
    }

    [Fact]
    public void Syn_ack_is_retransmitted_in_syn_received()
    {
        SynReceived().FireNextTimer().Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>").Is(TcpState.SynReceived);
    }

    [Fact]
    public void Syn_ack_retransmission_limit_resets_the_peer_and_ends_the_half_open_block()
    {
        var h = SynReceived(DefaultConfig with { MaxSynRetransmissions = 1 });
        h.FireNextTimer().Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>");
        h.FireNextTimer().Sends("[R] seq 1001 win 0 <>").IsClosedWith(TcpError.TimedOut);
    }

    [Fact]
    public void Fin_is_retransmitted_in_fin_wait_1()
    {
        var h = FinWait1().FireNextTimer().Sends("[F.] seq 1001 ack 5001 win 65535 <>").Is(TcpState.FinWait1);
        Assert.Equal(202, h.NowMs);
    }

    [Fact]
    public void Fin_is_retransmitted_in_closing()
    {
        Closing().FireNextTimer().Sends("[F.] seq 1001 ack 5002 win 65535 <>").Is(TcpState.Closing);
    }

    [Fact]
    public void Fin_is_retransmitted_in_last_ack()
    {
        LastAck().FireNextTimer().Sends("[F.] seq 1001 ack 5002 win 65535 <>").Is(TcpState.LastAck);
    }

    [Fact]
    public void Retransmission_after_close_resends_the_data_and_the_fin_in_one_segment()
    {
        var h = Established();
        h.At(2).Send("hello").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
        h.At(3).Close().Sends("[F.] seq 1006 ack 5001 win 65535 <>");
        h.FireNextTimer().Sends("[FP.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"").Is(TcpState.FinWait1);
    }

    [Fact]
    public void Fin_wait_2_arms_no_timer()
    {
        Assert.Null(FinWait2().NextDeadline);
    }

    [Fact]
    public void Time_wait_ends_after_two_msl()
    {
        var h = TimeWait().FireNextTimer().SendsNothing().IsClosedWith(TcpError.None);
        Assert.Equal(240_004, h.NowMs);
    }

    [Fact]
    public void Timer_before_the_time_wait_deadline_changes_nothing()
    {
        TimeWait().At(239_000).Timer().SendsNothing().Is(TcpState.TimeWait);
    }

    [Fact]
    public void Time_wait_lasts_twice_the_configured_msl()
    {
        var h = TimeWait(DefaultConfig with { Msl = TimeSpan.FromSeconds(30) });
        Assert.Equal(TimeSpan.FromMilliseconds(60_004), h.TimeWaitEndsAt);
    }

    [Fact]
    public void Timer_with_nothing_due_sends_nothing()
    {
        Established().At(500).Timer().SendsNothing().Is(TcpState.Established);
    }

    [Fact]
    public void Timer_on_a_closed_block_reports_it_gone()
    {
        Closed().Timer().SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Persist_timer_probes_a_zero_window_with_an_already_acknowledged_sequence_number()
    {
        var h = Established(syn: "[S] seq 5000 win 0 <mss 1460>");
        h.At(2).Send("hello");
        h.FireNextTimer().Sends("[.] seq 1000 ack 5001 win 65535 <>");
        Assert.Equal(202, h.NowMs);
        Assert.Equal(TimeSpan.FromMilliseconds(602), h.PersistAt);
    }

    [Fact]
    public void Persist_timer_backs_off_exponentially()
    {
        var h = Established(syn: "[S] seq 5000 win 0 <mss 1460>");
        h.At(2).Send("hello");
        h.FireNextTimer();
        h.FireNextTimer().Sends("[.] seq 1000 ack 5001 win 65535 <>");
        Assert.Equal(TimeSpan.FromMilliseconds(1402), h.PersistAt);
    }

    [Fact]
    public void Zero_window_probe_answered_with_an_open_window_releases_the_data()
    {
        var h = Established(syn: "[S] seq 5000 win 0 <mss 1460>");
        h.At(2).Send("hello");
        h.FireNextTimer();
        h.At(203).Segment("[.] seq 5001 ack 1001 win 1000").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
        Assert.Null(h.PersistAt);
    }

    [Fact]
    public void Zero_window_is_not_a_loss_the_retransmission_timer_hands_over_to_the_persist_timer()
    {
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 1000 <mss 1460>");
        h.At(2).Send(1500);
        h.At(3).Segment("[.] seq 5001 ack 1501 win 0");
        h.FireNextTimer().SendsNothing();
        Assert.Equal(0, h.Retries);
        Assert.NotNull(h.PersistAt);
    }

    [Fact]
    public void Keep_alive_probes_an_idle_connection_and_resets_it_when_unanswered()
    {
        var config = DefaultConfig with { KeepAliveIdle = TimeSpan.FromSeconds(10), KeepAliveInterval = TimeSpan.FromSeconds(1), KeepAliveProbes = 2 };
        var h = Established(config);
        Assert.Equal(TimeSpan.FromMilliseconds(10_001), h.KeepAliveAt);
        h.FireNextTimer().Sends("[.] seq 1000 ack 5001 win 65535 <>");
        h.FireNextTimer().Sends("[.] seq 1000 ack 5001 win 65535 <>");
        h.FireNextTimer().Sends("[R] seq 1001 win 0 <>").IsClosedWith(TcpError.TimedOut);
        Assert.Equal(12_001, h.NowMs);
    }

    [Fact]
    public void Keep_alive_answer_restarts_the_idle_time()
    {
        var h = Established(DefaultConfig with { KeepAliveIdle = TimeSpan.FromSeconds(10) });
        h.FireNextTimer().Sends("[.] seq 1000 ack 5001 win 65535 <>");
        h.At(10_002).Segment("[.] seq 5001 ack 1001 win 65535").SendsNothing();
        Assert.Equal(TimeSpan.FromMilliseconds(20_002), h.KeepAliveAt);
    }
}
