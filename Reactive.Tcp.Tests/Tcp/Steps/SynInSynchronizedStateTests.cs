using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.7.4, fourth check, as RFC 5961 §4 makes it: a SYN in a synchronised state, whatever
/// its sequence number, is answered with a challenge ACK and dropped; the connection stays.
/// </summary>
public class SynInSynchronizedStateTests
{
    [Fact]
    public void Syn_in_window_in_established_gets_challenge_ack()
    {
        Established().At(2).Segment("[S] seq 5100 win 65535 <mss 1460>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>")
            .Limited(LimitedAck.Challenge)
            .Dropped()
            .Is(TcpState.Established);
    }

    [Fact]
    public void Syn_at_rcv_nxt_in_established_gets_challenge_ack()
    {
        Established().At(2).Segment("[S] seq 5001 win 65535 <mss 1460>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Limited(LimitedAck.Challenge).Is(TcpState.Established);
    }

    [Fact]
    public void Syn_below_the_window_gets_challenge_ack_too()
    {
        Established().At(2).Segment("[S] seq 4000 win 65535 <mss 1460>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Limited(LimitedAck.Challenge).Is(TcpState.Established);
    }

    [Fact]
    public void Syn_beyond_the_window_gets_challenge_ack_too()
    {
        Established().At(2).Segment("[S] seq 900000 win 65535 <mss 1460>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Limited(LimitedAck.Challenge).Is(TcpState.Established);
    }

    [Fact]
    public void Retransmitted_syn_after_the_handshake_gets_challenge_ack()
    {
        Established().At(2).Segment(PlainSyn)
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Limited(LimitedAck.Challenge).Is(TcpState.Established);
    }

    [Fact]
    public void Retransmitted_syn_ack_after_an_active_open_gets_challenge_ack()
    {
        // Our ACK of the SYN-ACK was lost: the challenge ACK is exactly the ACK the peer waits for.
        ActiveEstablished(DefaultConfig with { WindowScaling = false, Sack = false, Timestamps = false })
            .At(500).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Limited(LimitedAck.Challenge).Is(TcpState.Established);
    }

    [Fact]
    public void Syn_with_data_in_established_gets_challenge_ack_and_its_data_is_not_taken()
    {
        var h = Established().At(2).Segment("[S] seq 5001 win 65535 <mss 1460> len 10")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Delivers("");
        Assert.Equal(5001u, h.RcvNxt);
    }

    [Fact]
    public void Syn_fin_in_established_gets_challenge_ack_and_no_close()
    {
        Established().At(2).Segment("[SF] seq 5001 win 65535")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Is(TcpState.Established);
    }

    [Fact]
    public void Syn_rst_in_established_is_handled_as_a_rst()
    {
        Established().At(2).Segment("[SR] seq 5001 win 0").SendsNothing().IsClosedWith(TcpError.Reset);
    }

    [Theory]
    [InlineData(TcpState.FinWait1, "[.] seq 1002 ack 5001 win 65535 <>")]
    [InlineData(TcpState.FinWait2, "[.] seq 1002 ack 5001 win 65535 <>")]
    [InlineData(TcpState.CloseWait, "[.] seq 1001 ack 5002 win 65535 <>")]
    [InlineData(TcpState.Closing, "[.] seq 1002 ack 5002 win 65535 <>")]
    [InlineData(TcpState.LastAck, "[.] seq 1002 ack 5002 win 65535 <>")]
    [InlineData(TcpState.TimeWait, "[.] seq 1002 ack 5002 win 65535 <>")]
    public void Syn_gets_challenge_ack_in_every_synchronised_state(TcpState state, string challenge)
    {
        In(state).After(1).Segment("[S] seq 5100 win 65535 <mss 1460>").Sends(challenge).Limited(LimitedAck.Challenge).Is(state);
    }

    [Fact]
    public void New_syn_in_time_wait_gets_challenge_ack_as_the_step_does_not_reopen_connections()
    {
        // RFC 9293 §3.6.1 / RFC 6191 allow a SYN with a higher sequence number to reopen a
        // connection in TIME-WAIT; RxTcp's step answers it as any SYN in a synchronised state.
        var h = TimeWait();
        h.At(10_000).Segment("[S] seq 900000 win 65535 <mss 1460>")
            .Sends("[.] seq 1002 ack 5002 win 65535 <>").Limited(LimitedAck.Challenge).Is(TcpState.TimeWait);
    }
}
