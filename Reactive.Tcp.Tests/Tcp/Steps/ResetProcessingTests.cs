using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.7.4, second check (the RST bit) as RFC 5961 §3 refines it: a RST resets only at
/// exactly RCV.NXT; elsewhere in the window it earns a challenge ACK; outside it, silence.
/// </summary>
public class ResetProcessingTests
{
    [Fact]
    public void Exact_rst_in_established_resets_the_connection()
    {
        Established().At(2).Segment("[R] seq 5001 win 0").SendsNothing().IsClosedWith(TcpError.Reset);
    }

    [Fact]
    public void Exact_rst_with_an_ack_in_established_resets_the_connection()
    {
        Established().At(2).Segment("[R.] seq 5001 ack 1001 win 0").SendsNothing().IsClosedWith(TcpError.Reset);
    }

    [Fact]
    public void Exact_rst_carrying_data_resets_the_connection()
    {
        Established().At(2).Segment("[R] seq 5001 win 0 len 5").SendsNothing().IsClosedWith(TcpError.Reset);
    }

    [Fact]
    public void Exact_rst_disarms_every_timer()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Segment("[R] seq 5001 win 0").IsClosedWith(TcpError.Reset);
        Assert.Null(h.NextDeadline);
    }

    [Fact]
    public void Rst_in_window_but_not_exact_in_established_gets_challenge_ack()
    {
        Established().At(2).Segment("[R] seq 5002 win 0")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>")
            .Limited(LimitedAck.Challenge)
            .Dropped()
            .Is(TcpState.Established);
    }

    [Fact]
    public void Rst_at_the_last_sequence_number_of_the_window_gets_challenge_ack()
    {
        Established().At(2).Segment("[R] seq 70535 win 0")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Limited(LimitedAck.Challenge).Is(TcpState.Established);
    }

    [Fact]
    public void Rst_at_the_right_edge_of_the_window_is_ignored()
    {
        Established().At(2).Segment("[R] seq 70536 win 0").SendsNothing().Dropped().Is(TcpState.Established);
    }

    [Fact]
    public void Rst_just_below_rcv_nxt_is_ignored()
    {
        Established().At(2).Segment("[R] seq 5000 win 0").SendsNothing().Dropped().Is(TcpState.Established);
    }

    [Fact]
    public void Rst_far_outside_the_window_is_ignored()
    {
        Established().At(2).Segment("[R.] seq 900000 ack 1001 win 0").SendsNothing().Dropped().Is(TcpState.Established);
    }

    [Fact]
    public void Exact_rst_in_a_zero_window_resets_the_connection()
    {
        var h = Established(DefaultConfig with { ReceiveBufferSize = 1000 }, credit: 0);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 65535 len 1000").Sends("[.] seq 1001 ack 6001 win 0 <>");
        h.At(3).Segment("[R] seq 6001 win 0").SendsNothing().IsClosedWith(TcpError.Reset);
    }

    [Fact]
    public void Inexact_rst_in_a_zero_window_is_ignored()
    {
        var h = Established(DefaultConfig with { ReceiveBufferSize = 1000 }, credit: 0);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 65535 len 1000");
        h.At(3).Segment("[R] seq 6002 win 0").SendsNothing().Is(TcpState.Established);
    }

    [Theory]
    [InlineData(TcpState.FinWait1, 5001u, TcpError.Reset)]
    [InlineData(TcpState.FinWait2, 5001u, TcpError.Reset)]
    [InlineData(TcpState.CloseWait, 5002u, TcpError.Reset)]
    [InlineData(TcpState.Closing, 5002u, TcpError.None)]
    [InlineData(TcpState.LastAck, 5002u, TcpError.None)]
    [InlineData(TcpState.TimeWait, 5002u, TcpError.None)]
    public void Exact_rst_closes_the_connection_in_every_synchronised_state(TcpState state, uint rcvNxt, TcpError error)
    {
        // RFC 9293: in CLOSING, LAST-ACK and TIME-WAIT the user has closed already, so no "reset" error.
        In(state).After(1).Segment($"[R] seq {rcvNxt} win 0").SendsNothing().IsClosedWith(error);
    }

    [Theory]
    [InlineData(TcpState.FinWait1, "[.] seq 1002 ack 5001 win 65535 <>")]
    [InlineData(TcpState.FinWait2, "[.] seq 1002 ack 5001 win 65535 <>")]
    [InlineData(TcpState.CloseWait, "[.] seq 1001 ack 5002 win 65535 <>")]
    [InlineData(TcpState.Closing, "[.] seq 1002 ack 5002 win 65535 <>")]
    [InlineData(TcpState.LastAck, "[.] seq 1002 ack 5002 win 65535 <>")]
    [InlineData(TcpState.TimeWait, "[.] seq 1002 ack 5002 win 65535 <>")]
    public void Rst_in_window_but_not_exact_gets_challenge_ack_in_every_synchronised_state(TcpState state, string challenge)
    {
        In(state).After(1).Segment("[R] seq 5010 win 0").Sends(challenge).Limited(LimitedAck.Challenge).Is(state);
    }
}
