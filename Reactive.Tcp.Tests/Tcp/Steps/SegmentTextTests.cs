using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.7.4, sixth and seventh checks: the URG bit and the segment text, per state; and
/// when the ACK for text goes out (at once, or delayed as §3.8.6.3 and RFC 5681 §4.2 allow).
/// </summary>
public class SegmentTextTests
{
    private static readonly TcpConfig Delayed = DefaultConfig with { DelayedAck = TimeSpan.FromMilliseconds(40) };

    [Fact]
    public void In_order_text_in_established_is_delivered_and_acknowledged()
    {
        var h = Established().At(2).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"")
            .Sends("[.] seq 1001 ack 5006 win 65535 <>").Delivers("hello");
        Assert.Equal(5006u, h.RcvNxt);
    }

    [Fact]
    public void Urgent_data_is_delivered_inline_as_ordinary_data()
    {
        // RFC 6093: the urgent mechanism is kept only for old applications; RxTcp has no
        // out-of-band channel, so URG and the urgent pointer are ignored and the bytes stay in line.
        var urgent = Build("[PU.] seq 5001 ack 1001 win 65535 \"hello\"");
        urgent.UrgentPointer = 3;
        Established().At(2).Segment(urgent)
            .Sends("[.] seq 1001 ack 5006 win 65535 <>").Delivers("hello");
    }

    [Fact]
    public void Text_in_fin_wait_1_is_taken()
    {
        FinWait1().At(3).Segment("[P.] seq 5001 ack 1001 win 65535 \"hi\"")
            .Sends("[.] seq 1002 ack 5003 win 65535 <>").Delivers("hi").Is(TcpState.FinWait1);
    }

    [Fact]
    public void Text_in_fin_wait_2_is_taken()
    {
        FinWait2().At(4).Segment("[P.] seq 5001 ack 1002 win 65535 \"hi\"")
            .Sends("[.] seq 1002 ack 5003 win 65535 <>").Delivers("hi").Is(TcpState.FinWait2);
    }

    [Theory]
    [InlineData(TcpState.CloseWait, "[.] seq 1001 ack 5002 win 65535 <>")]
    [InlineData(TcpState.Closing, "[.] seq 1002 ack 5002 win 65535 <>")]
    [InlineData(TcpState.LastAck, "[.] seq 1002 ack 5002 win 65535 <>")]
    [InlineData(TcpState.TimeWait, "[.] seq 1002 ack 5002 win 65535 <>")]
    public void Text_after_the_peers_fin_is_ignored_and_answered_with_an_ack(TcpState state, string ack)
    {
        var h = In(state).After(1).Segment("[P.] seq 5002 ack 1001 win 65535 \"zz\"").Sends(ack).Delivers("").Is(state);
        Assert.Equal(5002u, h.RcvNxt);
    }

    [Fact]
    public void Out_of_order_text_is_held_and_answered_with_a_duplicate_ack()
    {
        var h = Established().At(2).Segment("[P.] seq 5006 ack 1001 win 65535 \"world\"")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Delivers("");
        Assert.Equal(["5006:5011"], h.OutOfOrder);
    }

    [Fact]
    public void Text_filling_the_hole_delivers_everything_held_behind_it()
    {
        var h = Established();
        h.At(2).Segment("[P.] seq 5006 ack 1001 win 65535 \"world\"");
        h.At(3).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"")
            .Sends("[.] seq 1001 ack 5011 win 65535 <>").Delivers("helloworld");
        Assert.Empty(h.OutOfOrder);
    }

    [Fact]
    public void Text_filling_part_of_the_hole_moves_rcv_nxt_only_to_the_next_gap()
    {
        var h = Established();
        h.At(2).Segment("[P.] seq 5004 ack 1001 win 65535 \"lo\"");
        h.At(3).Segment("[P.] seq 5008 ack 1001 win 65535 \"rld\"");
        h.At(4).Segment("[P.] seq 5001 ack 1001 win 65535 \"hel\"")
            .Sends("[.] seq 1001 ack 5006 win 65535 <>").Delivers("hello");
        Assert.Equal(["5008:5011"], h.OutOfOrder);
    }

    [Fact]
    public void Overlapping_out_of_order_segments_are_held_as_one_range()
    {
        var h = Established();
        h.At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100");
        h.At(3).Segment("[.] seq 5151 ack 1001 win 65535 len 100");
        Assert.Equal(["5101:5251"], h.OutOfOrder);
    }

    [Fact]
    public void Delayed_ack_holds_the_ack_of_one_in_order_segment_until_its_timer()
    {
        var h = Established(Delayed);
        h.At(10).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"").SendsNothing().Delivers("hello");
        Assert.Equal(TimeSpan.FromMilliseconds(50), h.DelayedAckAt);
        h.FireNextTimer().Sends("[.] seq 1001 ack 5006 win 65535 <>");
        Assert.Null(h.DelayedAckAt);
    }

    [Fact]
    public void Delayed_ack_goes_at_once_on_the_second_full_sized_segment()
    {
        var h = Established(Delayed);
        h.At(10).Segment("[.] seq 5001 ack 1001 win 65535 len 1460").SendsNothing();
        h.At(11).Segment("[.] seq 6461 ack 1001 win 65535 len 1460").Sends("[.] seq 1001 ack 7921 win 65535 <>");
        Assert.Null(h.DelayedAckAt);
    }

    [Fact]
    public void Out_of_order_text_is_acknowledged_at_once_even_with_delayed_acks()
    {
        Established(Delayed).At(10).Segment("[P.] seq 5006 ack 1001 win 65535 \"world\"")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>");
    }

    [Fact]
    public void Text_filling_a_hole_is_acknowledged_at_once_even_with_delayed_acks()
    {
        var h = Established(Delayed);
        h.At(10).Segment("[P.] seq 5006 ack 1001 win 65535 \"world\"");
        h.At(11).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"").Sends("[.] seq 1001 ack 5011 win 65535 <>");
    }

    [Fact]
    public void Our_data_carries_a_pending_delayed_ack_and_cancels_its_timer()
    {
        var h = Established(Delayed);
        h.At(10).Segment("[P.] seq 5001 ack 1001 win 65535 \"ping\"").SendsNothing();
        h.At(12).Send("pong").Sends("[P.] seq 1001 ack 5005 win 65535 <> len 4 \"pong\"");
        Assert.Null(h.DelayedAckAt);
    }
}
