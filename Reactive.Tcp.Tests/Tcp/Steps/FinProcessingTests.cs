using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>RFC 9293 §3.10.7.4, eighth check: the FIN bit, per state.</summary>
public class FinProcessingTests
{
    [Fact]
    public void Fin_in_syn_sent_without_syn_is_dropped()
    {
        SynSent().At(1).Segment("[F.] seq 5000 ack 1001 win 65535").SendsNothing().Dropped().Is(TcpState.SynSent);
    }

    [Fact]
    public void Fin_in_established_is_acknowledged_and_enters_close_wait()
    {
        Established().At(2).Segment("[F.] seq 5001 ack 1001 win 65535")
            .Sends("[.] seq 1001 ack 5002 win 65535 <>")
            .ReceiveCompleted()
            .Is(TcpState.CloseWait);
    }

    [Fact]
    public void Fin_with_text_delivers_the_text_then_ends_the_stream()
    {
        Established().At(2).Segment("[FP.] seq 5001 ack 1001 win 65535 \"bye\"")
            .Sends("[.] seq 1001 ack 5005 win 65535 <>")
            .Delivers("bye")
            .ReceiveCompleted()
            .Is(TcpState.CloseWait);
    }

    [Fact]
    public void Fin_ahead_of_a_hole_waits_for_the_missing_text()
    {
        var h = Established();
        h.At(2).Segment("[F.] seq 5006 ack 1001 win 65535").Sends("[.] seq 1001 ack 5001 win 65535 <>").Is(TcpState.Established);
        h.At(3).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"")
            .Sends("[.] seq 1001 ack 5007 win 65535 <>")
            .Delivers("hello")
            .ReceiveCompleted()
            .Is(TcpState.CloseWait);
    }

    [Fact]
    public void Fin_on_text_running_past_the_window_is_not_taken()
    {
        var h = Established(DefaultConfig with { ReceiveBufferSize = 1000 }, credit: 0);
        h.At(2).Segment("[F.] seq 5001 ack 1001 win 65535 len 1500").Sends("[.] seq 1001 ack 6001 win 0 <>").Is(TcpState.Established);
        Assert.Equal(6001u, h.RcvNxt);
    }

    [Fact]
    public void Fin_at_rcv_nxt_is_taken_even_in_a_zero_window_as_rxtcp_chooses()
    {
        // RFC 9293's zero-window allowance names ACK, URG and RST; RxTcp takes a FIN there too, as
        // it needs no buffer space (the application has simply not read yet).
        var h = Established(DefaultConfig with { ReceiveBufferSize = 1000 }, credit: 0);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 65535 len 1000").Sends("[.] seq 1001 ack 6001 win 0 <>");
        h.At(3).Segment("[F.] seq 6001 ack 1001 win 65535").Sends("[.] seq 1001 ack 6002 win 0 <>").Is(TcpState.CloseWait);
    }

    [Fact]
    public void Fin_in_fin_wait_1_acknowledging_our_fin_enters_time_wait()
    {
        var h = FinWait1().At(3).Segment("[F.] seq 5001 ack 1002 win 65535")
            .Sends("[.] seq 1002 ack 5002 win 65535 <>")
            .Is(TcpState.TimeWait);
        Assert.Equal(TimeSpan.FromMilliseconds(3) + TimeSpan.FromSeconds(240), h.TimeWaitEndsAt);
        Assert.Null(h.RetransmitAt);
    }

    [Fact]
    public void Fin_in_fin_wait_1_not_acknowledging_our_fin_enters_closing()
    {
        FinWait1().At(3).Segment("[F.] seq 5001 ack 1001 win 65535")
            .Sends("[.] seq 1002 ack 5002 win 65535 <>")
            .Is(TcpState.Closing);
    }

    [Fact]
    public void Fin_in_fin_wait_2_enters_time_wait_and_starts_the_2msl_timer()
    {
        var h = FinWait2().At(4).Segment("[F.] seq 5001 ack 1002 win 65535")
            .Sends("[.] seq 1002 ack 5002 win 65535 <>")
            .ReceiveCompleted()
            .Is(TcpState.TimeWait);
        Assert.Equal(TimeSpan.FromMilliseconds(4) + TimeSpan.FromSeconds(240), h.TimeWaitEndsAt);
    }

    [Fact]
    public void Fin_with_text_in_fin_wait_2_delivers_the_text_and_enters_time_wait()
    {
        FinWait2().At(4).Segment("[FP.] seq 5001 ack 1002 win 65535 \"bye\"")
            .Sends("[.] seq 1002 ack 5005 win 65535 <>")
            .Delivers("bye")
            .Is(TcpState.TimeWait);
    }

    [Fact]
    public void Retransmitted_fin_in_close_wait_is_acknowledged_again()
    {
        CloseWait().At(3).Segment("[F.] seq 5001 ack 1001 win 65535")
            .Sends("[.] seq 1001 ack 5002 win 65535 <>").Limited(LimitedAck.None).Is(TcpState.CloseWait);
    }

    [Fact]
    public void Retransmitted_fin_in_closing_is_acknowledged_again()
    {
        Closing().At(4).Segment("[F.] seq 5001 ack 1001 win 65535")
            .Sends("[.] seq 1002 ack 5002 win 65535 <>").Is(TcpState.Closing);
    }

    [Fact]
    public void Retransmitted_fin_in_last_ack_is_acknowledged_again()
    {
        LastAck().At(4).Segment("[F.] seq 5001 ack 1001 win 65535")
            .Sends("[.] seq 1002 ack 5002 win 65535 <>").Is(TcpState.LastAck);
    }

    [Fact]
    public void Retransmitted_fin_in_time_wait_is_acknowledged_and_restarts_the_2msl_timer()
    {
        var h = TimeWait().At(100_000).Segment("[F.] seq 5001 ack 1002 win 65535")
            .Sends("[.] seq 1002 ack 5002 win 65535 <>").Is(TcpState.TimeWait);
        Assert.Equal(TimeSpan.FromSeconds(100 + 240), h.TimeWaitEndsAt);
    }

    [Fact]
    public void A_second_fin_at_a_later_sequence_number_is_acknowledged_without_effect()
    {
        CloseWait().At(3).Segment("[F.] seq 5002 ack 1001 win 65535")
            .Sends("[.] seq 1001 ack 5002 win 65535 <>").ReceiveCompleted(false).Is(TcpState.CloseWait);
    }

    [Fact]
    public void Simultaneous_close_ends_in_time_wait_on_both_fins_and_the_ack()
    {
        var h = Closing().At(4).Segment("[.] seq 5002 ack 1002 win 65535").SendsNothing().Is(TcpState.TimeWait);
        Assert.Equal(TimeSpan.FromMilliseconds(4) + TimeSpan.FromSeconds(240), h.TimeWaitEndsAt);
    }
}
