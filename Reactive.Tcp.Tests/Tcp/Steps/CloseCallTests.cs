using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>RFC 9293 §3.10.4, CLOSE call, in each state.</summary>
public class CloseCallTests
{
    [Fact]
    public void Close_in_closed_reports_the_connection_gone()
    {
        Closed().Close().SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Close_in_listen_deletes_the_block_quietly()
    {
        Listening().Close().SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Close_in_syn_sent_deletes_the_block_without_a_segment()
    {
        SynSent().At(1).Close().SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Close_in_syn_received_queues_the_fin_until_the_handshake_completes_as_rxtcp_chooses()
    {
        // RFC 9293 §3.10.4 would send the FIN at once when nothing is queued; RxTcp always waits for
        // the ACK of its SYN (a peer that never sends it is let go by the SYN-ACK retransmission limit).
        var h = SynReceived();
        h.Close().SendsNothing().Is(TcpState.SynReceived);
        h.At(1).Segment("[.] seq 5001 ack 1001 win 65535")
            .Sends("[F.] seq 1001 ack 5001 win 65535 <>")
            .Is(TcpState.FinWait1);
    }

    [Fact]
    public void Data_and_fin_queued_in_syn_received_go_out_together_once_established()
    {
        var h = SynReceived();
        h.Send("hello").Close().SendsNothing();
        h.At(1).Segment("[.] seq 5001 ack 1001 win 65535")
            .Sends("[FP.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"")
            .Is(TcpState.FinWait1);
    }

    [Fact]
    public void Close_in_established_sends_fin_and_enters_fin_wait_1()
    {
        var h = Established().At(2).Close()
            .Sends("[F.] seq 1001 ack 5001 win 65535 <>")
            .Is(TcpState.FinWait1);
        Assert.Equal(TimeSpan.FromMilliseconds(202), h.RetransmitAt);
    }

    [Fact]
    public void Close_after_unacknowledged_data_sends_the_fin_at_once_after_it()
    {
        var h = Established();
        h.At(2).Send("hello").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
        h.At(3).Close().Sends("[F.] seq 1006 ack 5001 win 65535 <>").Is(TcpState.FinWait1);
    }

    [Fact]
    public void Close_with_data_held_by_nagle_sends_the_data_and_the_fin_in_one_segment()
    {
        var h = Established();
        h.At(2).Send("hel").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 3 \"hel\"");
        h.At(3).Send("lo").SendsNothing();
        h.At(4).Close().Sends("[FP.] seq 1004 ack 5001 win 65535 <> len 2 \"lo\"");
    }

    [Fact]
    public void Close_with_data_behind_a_zero_window_holds_the_fin_behind_the_data()
    {
        var h = Established(syn: "[S] seq 5000 win 0 <mss 1460>");
        h.At(2).Send("hello").SendsNothing();
        h.At(3).Close().SendsNothing().Is(TcpState.FinWait1);
        h.At(4).Segment("[.] seq 5001 ack 1001 win 65535").Sends("[FP.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"");
    }

    [Fact]
    public void Close_in_close_wait_sends_fin_and_enters_last_ack()
    {
        CloseWait().At(3).Close()
            .Sends("[F.] seq 1001 ack 5002 win 65535 <>")
            .Is(TcpState.LastAck);
    }

    [Theory]
    [InlineData(TcpState.FinWait1)]
    [InlineData(TcpState.FinWait2)]
    [InlineData(TcpState.Closing)]
    [InlineData(TcpState.LastAck)]
    [InlineData(TcpState.TimeWait)]
    public void Close_when_already_closing_changes_nothing(TcpState state)
    {
        In(state).After(1).Close().SendsNothing().Is(state);
    }
}
