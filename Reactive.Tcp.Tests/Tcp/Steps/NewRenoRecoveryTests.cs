using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// Loss recovery without SACK: what counts as a duplicate ACK and fast retransmit (RFC 5681 §3.2),
/// limited transmit (RFC 3042), NewReno's partial and full ACKs (RFC 6582). The peer's MSS is 100:
/// ten 100-byte segments are in flight (1001..2001), 500 more bytes queued; CUBIC halves to 700.
/// </summary>
public class NewRenoRecoveryTests
{
    private const string DupAck = "[.] seq 5001 ack 1001 win 65535";

    private static string Data(uint seq, int length = 100, string flags = "[.]") => $"{flags} seq {seq} ack 5001 win 65535 <> len {length}";

    private static StepHarness Flight(TcpConfig? config = null, int bytes = 1500)
    {
        var h = Established((config ?? DefaultConfig) with { NoDelay = true }, syn: "[S] seq 5000 win 65535 <mss 100>");
        h.At(2).Send(bytes).Sends(Enumerable.Range(0, 10).Select(i => Data(1001 + (uint)i * 100)).ToArray());
        return h;
    }

    [Fact]
    public void First_and_second_duplicate_acks_each_send_one_new_segment_by_limited_transmit()
    {
        var h = Flight();
        h.At(3).Segment(DupAck).Sends(Data(2001)).Retransmitted(0);
        h.At(4).Segment(DupAck).Sends(Data(2101)).Retransmitted(0);
        Assert.False(h.InRecovery);
    }

    [Fact]
    public void Third_duplicate_ack_retransmits_the_first_unacknowledged_segment()
    {
        var h = Flight();
        h.At(3).Segment(DupAck);
        h.At(4).Segment(DupAck);
        h.At(5).Segment(DupAck).Sends(Data(1001)).Retransmitted(1);
        Assert.True(h.InRecovery);
        Assert.Equal(700, h.Ssthresh);
        Assert.Equal(1000, h.Cwnd); // ssthresh + 3 segments that left the network
    }

    [Fact]
    public void Each_further_duplicate_ack_inflates_the_window_by_one_segment()
    {
        var h = Flight();
        for (int i = 0; i < 3; i++) h.At(3 + i).Segment(DupAck);
        h.At(6).Segment(DupAck).SendsNothing();
        Assert.Equal(1100, h.Cwnd);
        h.At(7).Segment(DupAck).SendsNothing();
        h.At(8).Segment(DupAck).Sends(Data(2201)); // cwnd 1300 covers the 1200 in flight and one more
    }

    [Fact]
    public void Partial_ack_resends_the_next_unacknowledged_segment_at_once()
    {
        var h = Flight();
        for (int i = 0; i < 3; i++) h.At(3 + i).Segment(DupAck);
        h.At(6).Segment("[.] seq 5001 ack 1101 win 65535").Sends(Data(1101)).Retransmitted(1);
        Assert.True(h.InRecovery);
        Assert.Equal(1000, h.Cwnd); // deflated by the 100 acknowledged, one segment added back
    }

    [Fact]
    public void Full_ack_ends_recovery_with_cwnd_of_min_ssthresh_and_flight_or_one_mss_plus_one_mss()
    {
        // RFC 6582 §3.2 step 3 (1): min(ssthresh, max(FlightSize, SMSS) + SMSS) = min(700, 200).
        var h = Flight();
        for (int i = 0; i < 3; i++) h.At(3 + i).Segment(DupAck);
        h.At(6).Segment("[.] seq 5001 ack 2201 win 65535").Sends(Data(2201), Data(2301));
        Assert.False(h.InRecovery);
        Assert.Equal(200, h.Cwnd);
    }

    [Fact]
    public void Fast_retransmit_off_sends_nothing_on_duplicate_acks()
    {
        var h = Flight(DefaultConfig with { DupAckThreshold = 0 });
        for (int i = 0; i < 4; i++) h.At(3 + i).Segment(DupAck).SendsNothing();
        Assert.False(h.InRecovery);
    }

    [Fact]
    public void Ack_carrying_data_is_not_a_duplicate_ack()
    {
        var h = Flight().At(3).Segment("[P.] seq 5001 ack 1001 win 65535 \"x\"");
        Assert.Equal(0, h.DupAcks);
    }

    [Fact]
    public void Ack_carrying_a_fin_is_not_a_duplicate_ack()
    {
        var h = Flight().At(3).Segment("[F.] seq 5001 ack 1001 win 65535");
        Assert.Equal(0, h.DupAcks);
    }

    [Fact]
    public void Ack_with_nothing_outstanding_is_not_a_duplicate_ack()
    {
        var h = Established().At(2).Segment("[.] seq 5001 ack 1001 win 65535").SendsNothing();
        Assert.Equal(0, h.DupAcks);
    }

    [Fact]
    public void Retransmission_timeout_in_recovery_leaves_recovery_and_starts_over_from_snd_una()
    {
        var h = Flight();
        for (int i = 0; i < 3; i++) h.At(3 + i).Segment(DupAck);
        h.At(202).Timer().Sends(Data(1001)).Retransmitted(1);
        Assert.False(h.InRecovery);
        Assert.Equal(100, h.Cwnd);
    }
}
