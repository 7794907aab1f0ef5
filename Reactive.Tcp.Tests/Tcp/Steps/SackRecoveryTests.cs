using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// SACK-based loss recovery as a sender (RFC 6675, with RFC 3042's limited transmit and RFC 8985's
/// tail loss probe): the scoreboard, the pipe, which hole or new data goes next. The peer's MSS is
/// 100, so the initial window is ten 100-byte segments (1001..2001), and CUBIC's reduction leaves 700.
/// </summary>
public class SackRecoveryTests
{
    private static string Data(uint seq, int length = 100, string flags = "[.]") => $"{flags} seq {seq} ack 5001 win 65535 <> len {length}";

    private static string DupAck(string sack) => $"[.] seq 5001 ack 1001 win 65535 <{sack}>";

    /// <summary>Ten 100-byte segments in flight (1001..2001) and <paramref name="bytes"/> − 1000 more queued.</summary>
    private static StepHarness Flight(int bytes = 1000)
    {
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 65535 <mss 100,sackOK>");
        var expected = Enumerable.Range(0, 10).Select(i => Data(1001 + (uint)i * 100, 100, i == 9 && bytes == 1000 ? "[P.]" : "[.]")).ToArray();
        h.At(2).Send(bytes).Sends(expected);
        return h;
    }

    [Fact]
    public void Sack_blocks_from_the_peer_fill_the_scoreboard()
    {
        var h = Flight().At(3).Segment(DupAck("sack 2 {1501:1601 1101:1201}")).SendsNothing();
        Assert.Equal(["1101:1201", "1501:1601"], h.Scoreboard);
    }

    [Fact]
    public void Sack_block_above_snd_max_is_ignored()
    {
        Assert.Empty(Flight().At(3).Segment(DupAck("sack 1 {2001:2101}")).Scoreboard);
    }

    [Fact]
    public void Sack_block_below_snd_una_is_ignored()
    {
        Assert.Empty(Flight().At(3).Segment(DupAck("sack 1 {901:1001}")).Scoreboard);
    }

    [Fact]
    public void Sack_block_whose_right_edge_is_not_above_its_left_is_ignored()
    {
        Assert.Empty(Flight().At(3).Segment(DupAck("sack 1 {1301:1201}")).Scoreboard);
    }

    [Fact]
    public void Sack_block_reaching_below_snd_una_is_trimmed_to_it()
    {
        Assert.Equal(["1001:1101"], Flight().At(3).Segment(DupAck("sack 1 {951:1101}")).Scoreboard);
    }

    [Fact]
    public void Cumulative_ack_drops_the_scoreboard_below_it()
    {
        var h = Flight();
        h.At(3).Segment(DupAck("sack 1 {1101:1301}"));
        h.At(4).Segment("[.] seq 5001 ack 1201 win 65535");
        Assert.Equal(["1201:1301"], h.Scoreboard);
    }

    [Fact]
    public void Sack_blocks_are_ignored_when_sack_was_not_negotiated()
    {
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 65535 <mss 100>");
        h.At(2).Send(1000);
        h.At(3).Segment(DupAck("sack 1 {1101:1201}"));
        Assert.Empty(h.Scoreboard);
    }

    [Fact]
    public void First_duplicate_ack_sends_one_new_segment_by_limited_transmit()
    {
        Flight(1500).At(3).Segment(DupAck("sack 1 {1101:1201}")).Sends(Data(2001)).Retransmitted(0);
    }

    [Fact]
    public void Second_duplicate_ack_sends_one_more_new_segment_by_limited_transmit()
    {
        var h = Flight(1500);
        h.At(3).Segment(DupAck("sack 1 {1101:1201}"));
        h.At(4).Segment(DupAck("sack 1 {1101:1301}")).Sends(Data(2101));
    }

    [Fact]
    public void Third_duplicate_ack_enters_recovery_and_resends_the_first_hole()
    {
        var h = Flight(1500);
        h.At(3).Segment(DupAck("sack 1 {1101:1201}"));
        h.At(4).Segment(DupAck("sack 1 {1101:1301}"));
        h.At(5).Segment(DupAck("sack 1 {1101:1401}")).Sends(Data(1001)).Retransmitted(1);
        Assert.True(h.InRecovery);
        Assert.Equal(700, h.Ssthresh);
        Assert.Equal(700, h.Cwnd);
    }

    [Fact]
    public void Three_segments_sacked_above_a_hole_mark_it_lost_on_the_first_duplicate_ack()
    {
        // RFC 6675 §5 IsLost(SND.UNA): DupThresh segments SACKed above it, whatever the ACK count.
        var h = Flight(1500).At(3).Segment(DupAck("sack 1 {1101:1401}")).Sends(Data(1001)).Retransmitted(1);
        Assert.True(h.InRecovery);
    }

    [Fact]
    public void Recovery_resends_each_further_hole_below_the_highest_sacked_byte()
    {
        var h = Flight();
        h.At(3).Segment(DupAck("sack 1 {1101:1401}")).Sends(Data(1001));
        h.At(4).Segment(DupAck("sack 2 {1501:1901 1101:1401}")).Sends(Data(1401)).Retransmitted(1);
    }

    [Fact]
    public void Recovery_sends_new_data_once_the_holes_are_resent_and_the_pipe_has_room()
    {
        // Pipe after resending 1401: 100 above the highest SACK (1901..2001) + 200 resent = 300 of cwnd 700.
        var h = Flight(1500);
        h.At(3).Segment(DupAck("sack 1 {1101:1401}")).Sends(Data(1001));
        h.At(4).Segment(DupAck("sack 2 {1501:1901 1101:1401}"))
            .Sends(Data(1401), Data(2001), Data(2101), Data(2201), Data(2301));
    }

    [Fact]
    public void Duplicate_acks_in_sack_recovery_neither_inflate_the_window_nor_reduce_it_again()
    {
        var h = Flight();
        h.At(3).Segment(DupAck("sack 1 {1101:1401}"));
        h.At(4).Segment(DupAck("sack 1 {1101:1401}")).SendsNothing();
        h.At(5).Segment(DupAck("sack 1 {1101:1401}")).SendsNothing();
        Assert.Equal(700, h.Cwnd);
        Assert.Equal(700, h.Ssthresh);
    }

    [Fact]
    public void Partial_ack_in_sack_recovery_resends_the_next_hole_through_the_pipe_rule()
    {
        var h = Flight();
        h.At(3).Segment(DupAck("sack 1 {1101:1401}")).Sends(Data(1001));
        h.At(4).Segment("[.] seq 5001 ack 1401 win 65535 <sack 1 {1501:1901}>").Sends(Data(1401)).Retransmitted(1);
        Assert.True(h.InRecovery);
    }

    [Fact]
    public void Full_ack_ends_sack_recovery_with_cwnd_of_min_ssthresh_and_flight_or_one_mss_plus_one_mss()
    {
        // RFC 6582 §3.2 step 3 (1), which RFC 6675 defers to: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
        var h = Flight();
        h.At(3).Segment(DupAck("sack 1 {1101:1401}"));
        h.At(4).Segment("[.] seq 5001 ack 2001 win 65535").SendsNothing();
        Assert.False(h.InRecovery);
        Assert.Equal(200, h.Cwnd);
    }

    [Fact]
    public void Retransmission_timeout_in_sack_recovery_goes_back_but_skips_what_the_peer_holds()
    {
        var h = Flight();
        h.At(3).Segment(DupAck("sack 1 {1101:1401}")).Sends(Data(1001));
        h.At(202).Timer().Sends(Data(1001)).Retransmitted(1);
        Assert.False(h.InRecovery);
        Assert.Equal(100, h.Cwnd);
        Assert.Equal(1401u, h.SndNxt);
    }

    [Fact]
    public void Tail_loss_probe_resends_the_last_segment_when_the_flight_goes_unanswered()
    {
        // RFC 8985 §7: PTO = max(2·SRTT, 10 ms) after the last send; the probe is the last segment.
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 65535 <mss 100,sackOK>");
        h.At(2).Send(300).Sends(Data(1001), Data(1101), Data(1201, 100, "[P.]"));
        Assert.Equal(TimeSpan.FromMilliseconds(12), h.ProbeAt);
        h.FireNextTimer().Sends(Data(1201, 100, "[P.]")).Retransmitted(1);
    }
}
