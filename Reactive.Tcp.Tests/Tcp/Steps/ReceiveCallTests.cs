using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.3, RECEIVE call. RxTcp's application reads by granting read credit: the step
/// hands over in-order data up to the credit, and reopens the window as it goes (§3.8.6.2.2).
/// </summary>
public class ReceiveCallTests
{
    [Fact]
    public void Receive_on_a_closed_connection_reports_it_gone()
    {
        Closed().Credit(100).SendsNothing().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Data_waits_in_the_receive_buffer_until_the_application_reads()
    {
        var h = Established(credit: 0);
        h.At(2).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"")
            .Sends("[.] seq 1001 ack 5006 win 65535 <>")
            .Delivers("");
        Assert.Equal(5, h.ReceiveQueued);
        h.At(3).Credit(100).Delivers("hello").SendsNothing();
        Assert.Equal(0, h.ReceiveQueued);
    }

    [Fact]
    public void A_read_takes_no_more_than_its_credit()
    {
        var h = Established(credit: 0);
        h.At(2).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"");
        h.At(3).Credit(3).Delivers("hel");
        h.At(4).Credit(10).Delivers("lo");
    }

    [Fact]
    public void Unread_data_shrinks_the_advertised_window()
    {
        var h = Established(DefaultConfig with { ReceiveBufferSize = 4000 }, credit: 0);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 65535 len 3000")
            .Sends("[.] seq 1001 ack 8001 win 1000 <>");
    }

    [Fact]
    public void A_read_that_reopens_the_window_by_an_mss_sends_a_window_update()
    {
        var h = Established(DefaultConfig with { ReceiveBufferSize = 4000 }, credit: 0);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 65535 len 3000").Sends("[.] seq 1001 ack 8001 win 1000 <>");
        h.At(3).Credit(3000).DeliversBytes(3000).Sends("[.] seq 1001 ack 8001 win 4000 <>");
    }

    [Fact]
    public void A_read_that_reopens_the_window_by_less_than_an_mss_sends_no_update()
    {
        // Receiver-side SWS avoidance (RFC 9293 §3.8.6.2.2): the window is announced again only
        // once it has grown by min(buffer / 2, MSS).
        var h = Established(DefaultConfig with { ReceiveBufferSize = 4000 }, credit: 0);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 65535 len 3000").Sends("[.] seq 1001 ack 8001 win 1000 <>");
        h.At(3).Credit(1000).DeliversBytes(1000).SendsNothing();
    }

    [Fact]
    public void Receive_in_close_wait_delivers_what_remains_then_signals_the_end_of_the_stream()
    {
        var h = Established(credit: 0);
        h.At(2).Segment("[FP.] seq 5001 ack 1001 win 65535 \"bye\"")
            .Sends("[.] seq 1001 ack 5005 win 65535 <>")
            .ReceiveCompleted(false)
            .Is(TcpState.CloseWait);
        h.At(3).Credit(100).Delivers("bye").ReceiveCompleted().SendsNothing();
    }

    [Fact]
    public void Read_credit_given_before_the_handshake_completes_is_used_when_data_arrives()
    {
        var h = SynReceived(credit: 0);
        h.Credit(3).SendsNothing().Is(TcpState.SynReceived);
        h.At(1).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"").Delivers("hel");
        Assert.Equal(2, h.ReceiveQueued);
    }

    [Fact]
    public void End_of_stream_is_signalled_once_only()
    {
        var h = CloseWait();
        h.At(3).Credit(100).ReceiveCompleted(false);
    }
}
