using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>RFC 9293 §3.10.5, ABORT call, in each state: a RST at SND.NXT where the peer has a connection to reset.</summary>
public class AbortCallTests
{
    [Fact]
    public void Abort_in_closed_reports_the_connection_gone()
    {
        Closed().Abort().SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Abort_in_listen_deletes_the_block_without_a_segment()
    {
        Listening().Abort().SendsNothing().IsClosedWith(TcpError.Aborted);
    }

    [Fact]
    public void Abort_in_syn_sent_deletes_the_block_without_a_segment()
    {
        SynSent().At(1).Abort().SendsNothing().IsClosedWith(TcpError.Aborted);
    }

    [Fact]
    public void Abort_in_syn_received_resets_the_peer()
    {
        SynReceived().At(1).Abort().Sends("[R] seq 1001 win 0 <>").IsClosedWith(TcpError.Aborted);
    }

    [Fact]
    public void Abort_in_established_resets_the_peer_at_snd_nxt()
    {
        Established().At(2).Abort().Sends("[R] seq 1001 win 0 <>").IsClosedWith(TcpError.Aborted);
    }

    [Fact]
    public void Abort_with_data_in_flight_resets_at_the_sequence_number_after_it()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Abort().Sends("[R] seq 1006 win 0 <>").IsClosedWith(TcpError.Aborted);
    }

    [Fact]
    public void Abort_after_a_timeout_pulled_snd_nxt_back_resets_at_the_highest_sequence_sent()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.FireNextTimer().Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
        h.After(1).Abort().Sends("[R] seq 1006 win 0 <>");
    }

    [Fact]
    public void Abort_in_fin_wait_1_resets_the_peer()
    {
        FinWait1().At(3).Abort().Sends("[R] seq 1002 win 0 <>").IsClosedWith(TcpError.Aborted);
    }

    [Fact]
    public void Abort_in_fin_wait_2_resets_the_peer()
    {
        FinWait2().At(4).Abort().Sends("[R] seq 1002 win 0 <>").IsClosedWith(TcpError.Aborted);
    }

    [Fact]
    public void Abort_in_close_wait_resets_the_peer()
    {
        CloseWait().At(3).Abort().Sends("[R] seq 1001 win 0 <>").IsClosedWith(TcpError.Aborted);
    }

    [Fact]
    public void Abort_in_closing_deletes_the_block_without_a_reset()
    {
        // RFC 9293 §3.10.5: in CLOSING, LAST-ACK and TIME-WAIT respond "ok", delete the TCB, no RST:
        // the peer has closed too, and may be in TIME-WAIT, which a RST must not cut short.
        Closing().At(4).Abort().SendsNothing().Is(TcpState.Closed);
    }

    [Fact]
    public void Abort_in_last_ack_deletes_the_block_without_a_reset()
    {
        LastAck().At(4).Abort().SendsNothing().Is(TcpState.Closed);
    }

    [Fact]
    public void Abort_in_time_wait_deletes_the_block_quietly()
    {
        TimeWait().At(5).Abort().SendsNothing().IsClosedWith(TcpError.None);
    }
}
