using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.7.4, first check: the four cases of the sequence-number acceptability test
/// (segment length zero or not, receive window zero or not). An unacceptable segment is answered
/// with <c>&lt;SEQ=SND.NXT&gt;&lt;ACK=RCV.NXT&gt;&lt;CTL=ACK&gt;</c> (RxTcp marks the ACK for an empty one
/// for its per-connection rate limit) and dropped. RCV.NXT is 5001 and the window 65535 unless a
/// test fills it.
/// </summary>
public class SequenceAcceptabilityTests
{
    private static readonly TcpConfig SmallBuffer = DefaultConfig with { ReceiveBufferSize = 1000 };

    /// <summary>ESTABLISHED with a 1000-byte buffer the application does not read, filled by the peer: window 0, RCV.NXT 6001.</summary>
    private static StepHarness ZeroWindow()
    {
        var h = Established(SmallBuffer, credit: 0);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 65535 len 1000").Sends("[.] seq 1001 ack 6001 win 0 <>");
        return h;
    }

    // --- length 0, window 0: acceptable only at RCV.NXT

    [Fact]
    public void Empty_segment_at_rcv_nxt_is_acceptable_in_a_zero_window()
    {
        ZeroWindow().At(3).Segment("[.] seq 6001 ack 1001 win 65535").SendsNothing().Dropped(false);
    }

    [Fact]
    public void Empty_segment_off_rcv_nxt_is_unacceptable_in_a_zero_window()
    {
        ZeroWindow().At(3).Segment("[.] seq 6002 ack 1001 win 65535")
            .Sends("[.] seq 1001 ack 6001 win 0 <>").Dropped().Limited(LimitedAck.OutOfWindow);
    }

    // --- length 0, window > 0: RCV.NXT ≤ SEG.SEQ < RCV.NXT + RCV.WND

    [Fact]
    public void Empty_segment_at_the_left_edge_of_the_window_is_acceptable()
    {
        Established().At(2).Segment("[.] seq 5001 ack 1001 win 65535").SendsNothing().Dropped(false);
    }

    [Fact]
    public void Empty_segment_at_the_last_sequence_number_of_the_window_is_acceptable()
    {
        Established().At(2).Segment("[.] seq 70535 ack 1001 win 65535").SendsNothing().Dropped(false);
    }

    [Fact]
    public void Empty_segment_at_the_right_edge_of_the_window_is_unacceptable()
    {
        Established().At(2).Segment("[.] seq 70536 ack 1001 win 65535")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Dropped().Limited(LimitedAck.OutOfWindow);
    }

    [Fact]
    public void Empty_segment_just_below_rcv_nxt_is_unacceptable()
    {
        Established().At(2).Segment("[.] seq 5000 ack 1001 win 65535")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Dropped().Limited(LimitedAck.OutOfWindow);
    }

    [Fact]
    public void Unacceptable_segment_is_not_processed_further()
    {
        var h = Established();
        h.At(2).Send("hello");
        h.At(3).Segment("[.] seq 5000 ack 1006 win 65535").Sends("[.] seq 1006 ack 5001 win 65535 <>");
        Assert.Equal(1001u, h.SndUna); // its ACK field was not taken
    }

    // --- length > 0, window 0: not acceptable, but RxTcp takes the ACK of a segment at RCV.NXT

    [Fact]
    public void Data_at_rcv_nxt_in_a_zero_window_has_its_ack_taken_and_its_data_trimmed()
    {
        // RFC 9293: "special allowance should be made to accept valid ACKs, URGs, and RSTs".
        var h = Established(SmallBuffer, credit: 0);
        h.At(2).Send("hello").Sends("[P.] seq 1001 ack 5001 win 1000 <> len 5 \"hello\"");
        h.At(3).Segment("[.] seq 5001 ack 1001 win 65535 len 1000").Sends("[.] seq 1006 ack 6001 win 0 <>");
        h.At(4).Segment("[P.] seq 6001 ack 1006 win 65535 \"xyz\"").Sends("[.] seq 1006 ack 6001 win 0 <>");
        Assert.Equal(1006u, h.SndUna);
        Assert.Equal(6001u, h.RcvNxt);
    }

    [Fact]
    public void Data_off_rcv_nxt_in_a_zero_window_is_unacceptable_and_always_answered()
    {
        ZeroWindow().At(3).Segment("[P.] seq 6002 ack 1001 win 65535 \"xyz\"")
            .Sends("[.] seq 1001 ack 6001 win 0 <>").Dropped().Limited(LimitedAck.None);
    }

    // --- length > 0, window > 0: the first or the last byte in the window

    [Fact]
    public void Data_starting_at_rcv_nxt_is_acceptable()
    {
        Established().At(2).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"")
            .Sends("[.] seq 1001 ack 5006 win 65535 <>").Delivers("hello");
    }

    [Fact]
    public void Data_overlapping_the_left_edge_is_acceptable_and_only_its_new_part_taken()
    {
        var h = Established();
        h.At(2).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"").Delivers("hello");
        h.At(3).Segment("[P.] seq 5003 ack 1001 win 65535 \"llo world\"")
            .Sends("[.] seq 1001 ack 5012 win 65535 <>").Delivers(" world");
    }

    [Fact]
    public void Data_whose_last_byte_is_just_below_rcv_nxt_is_unacceptable_and_answered_with_a_duplicate_ack()
    {
        var h = Established();
        h.At(2).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"");
        h.At(3).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"")
            .Sends("[.] seq 1001 ack 5006 win 65535 <>").Dropped().Limited(LimitedAck.None).Delivers("");
    }

    [Fact]
    public void Data_whose_last_byte_is_rcv_nxt_is_acceptable()
    {
        var h = Established();
        h.At(2).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"");
        h.At(3).Segment("[P.] seq 5002 ack 1001 win 65535 \"ello!\"")
            .Sends("[.] seq 1001 ack 5007 win 65535 <>").Dropped(false).Delivers("!");
    }

    [Fact]
    public void Data_starting_at_the_right_edge_of_the_window_is_unacceptable()
    {
        Established().At(2).Segment("[.] seq 70536 ack 1001 win 65535 len 10")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Dropped();
    }

    [Fact]
    public void Data_starting_at_the_last_byte_of_the_window_is_acceptable_and_held_out_of_order()
    {
        var h = Established().At(2).Segment("[.] seq 70535 ack 1001 win 65535 len 10")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>").Dropped(false);
        Assert.Equal(["70535:70536"], h.OutOfOrder);
    }

    [Fact]
    public void Data_running_past_the_window_is_trimmed_to_it()
    {
        var h = Established(SmallBuffer, credit: 0).At(2).Segment("[.] seq 5001 ack 1001 win 65535 len 1500")
            .Sends("[.] seq 1001 ack 6001 win 0 <>");
        Assert.Equal(1000, h.ReceiveQueued);
    }

    [Fact]
    public void Acceptability_holds_across_the_wrap_of_the_sequence_space()
    {
        var h = Established(syn: "[S] seq 4294967290 win 65535 <mss 1460>");
        h.At(2).Segment("[P.] seq 4294967291 ack 1001 win 65535 len 10").Sends("[.] seq 1001 ack 5 win 65535 <>").DeliversBytes(10);
        h.At(3).Segment("[P.] seq 4294967291 ack 1001 win 65535 len 5").Sends("[.] seq 1001 ack 5 win 65535 <>").Dropped();
        h.At(4).Segment("[P.] seq 5 ack 1001 win 65535 len 5").Sends("[.] seq 1001 ack 10 win 65535 <>").DeliversBytes(5);
    }

    [Fact]
    public void Unacceptable_segment_in_time_wait_is_answered_with_an_ack()
    {
        TimeWait().At(5).Segment("[.] seq 900000 ack 1002 win 65535")
            .Sends("[.] seq 1002 ack 5002 win 65535 <>").Dropped().Is(TcpState.TimeWait);
    }
}
