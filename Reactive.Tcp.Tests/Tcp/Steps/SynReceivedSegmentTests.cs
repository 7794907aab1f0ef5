using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>RFC 9293 §3.10.7.4 for SYN-RECEIVED: the ACK of our SYN, a repeated SYN, RST, and what may ride with the ACK.</summary>
public class SynReceivedSegmentTests
{
    [Fact]
    public void Ack_of_our_syn_establishes_the_connection_without_a_reply()
    {
        var h = SynReceived().At(1).Segment("[.] seq 5001 ack 1001 win 65535")
            .SendsNothing().Connected().Is(TcpState.Established);
        Assert.Equal(1001u, h.SndUna);
        Assert.Null(h.RetransmitAt);
    }

    [Fact]
    public void Ack_of_our_syn_takes_the_peers_window()
    {
        var h = SynReceived().At(1).Segment("[.] seq 5001 ack 1001 win 12345");
        Assert.Equal(12345, h.SndWnd);
    }

    [Fact]
    public void Ack_at_our_isn_in_syn_received_gets_a_rst_at_that_ack()
    {
        SynReceived().At(1).Segment("[.] seq 5001 ack 1000 win 65535")
            .Sends("[R] seq 1000 win 0 <>").Dropped().Is(TcpState.SynReceived);
    }

    [Fact]
    public void Ack_beyond_snd_nxt_in_syn_received_gets_a_rst_at_that_ack()
    {
        SynReceived().At(1).Segment("[.] seq 5001 ack 1005 win 65535")
            .Sends("[R] seq 1005 win 0 <>").Is(TcpState.SynReceived);
    }

    [Fact]
    public void Segment_without_ack_in_syn_received_is_dropped()
    {
        var h = SynReceived().At(1).Segment("[P] seq 5001 win 65535 \"hi\"").SendsNothing().Dropped().Is(TcpState.SynReceived);
        Assert.Equal(5001u, h.RcvNxt);
    }

    [Fact]
    public void Data_riding_on_the_handshake_ack_is_taken_and_acknowledged()
    {
        SynReceived().At(1).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"")
            .Sends("[.] seq 1001 ack 5006 win 65535 <>")
            .Delivers("hello")
            .Is(TcpState.Established);
    }

    [Fact]
    public void Fin_riding_on_the_handshake_ack_goes_on_to_close_wait()
    {
        SynReceived().At(1).Segment("[F.] seq 5001 ack 1001 win 65535")
            .Sends("[.] seq 1001 ack 5002 win 65535 <>")
            .Is(TcpState.CloseWait);
    }

    [Fact]
    public void Retransmitted_syn_in_syn_received_gets_the_syn_ack_again()
    {
        SynReceived().At(500).Segment(PlainSyn)
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>")
            .Is(TcpState.SynReceived);
    }

    [Fact]
    public void Syn_with_another_isn_in_passive_syn_received_returns_to_listen_without_a_reply()
    {
        // RFC 9293 §3.10.7.4 fourth, RFC 1122 §4.2.2.20 (e): the half-open child ends quietly; the listener stays.
        SynReceived().At(1).Segment("[S] seq 5003 win 65535 <mss 1460>")
            .SendsNothing()
            .IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Exact_rst_in_syn_received_from_a_passive_open_lets_the_block_go_quietly()
    {
        // The listener keeps listening: its half-open child ends, which is RFC 9293's "return to LISTEN".
        SynReceived().At(1).Segment("[R] seq 5001 win 0").SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Exact_rst_in_syn_received_from_a_simultaneous_open_refuses_the_connection()
    {
        var h = SynSent();
        h.At(1).Segment("[S] seq 5000 win 65535 <mss 1460>").Is(TcpState.SynReceived);
        h.At(2).Segment("[R] seq 5001 win 0").SendsNothing().IsClosedWith(TcpError.Refused);
    }

    [Fact]
    public void In_window_rst_in_syn_received_gets_a_challenge_ack()
    {
        SynReceived().At(1).Segment("[R] seq 5100 win 0")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>")
            .Limited(LimitedAck.Challenge)
            .Is(TcpState.SynReceived);
    }

    [Fact]
    public void Out_of_window_segment_in_syn_received_gets_an_ack()
    {
        SynReceived().At(1).Segment("[.] seq 900000 ack 1001 win 65535")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>")
            .Dropped()
            .Is(TcpState.SynReceived);
    }
}
