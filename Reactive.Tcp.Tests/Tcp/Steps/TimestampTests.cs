using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 7323 §3 and §4: timestamps negotiated by the SYNs, carried on every later segment but a RST,
/// TSecr = TS.Recent, TS.Recent updated only by a segment at or below Last.ACK.sent, and RTT
/// measured from TSecr. The clock is the step's time in milliseconds. After the builder's
/// handshake TS.Recent is 101 (the peer's ACK carried TSval 101).
/// </summary>
public class TimestampTests
{
    private static StepHarness Connection(TcpConfig? config = null) => Established(config, syn: TimestampSyn);

    [Fact]
    public void Timestamps_are_on_when_both_syns_carry_them()
    {
        var h = Connection();
        Assert.True(h.TimestampsEnabled);
        Assert.Equal(101u, h.TsRecent);
    }

    [Fact]
    public void Timestamps_stay_off_when_the_peers_syn_has_none()
    {
        var h = Established(syn: PlainSyn);
        Assert.False(h.TimestampsEnabled);
        h.At(2).Send("hi").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 2 \"hi\"");
    }

    [Fact]
    public void Timestamps_stay_off_when_we_turned_them_off()
    {
        Listening(DefaultConfig with { Timestamps = false }).Segment(TimestampSyn).Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>");
    }

    [Fact]
    public void Data_segment_carries_our_clock_and_echoes_ts_recent()
    {
        Connection().At(10).Send("hi").Sends("[P.] seq 1001 ack 5001 win 65535 <TS val 10 ecr 101> len 2 \"hi\"");
    }

    [Fact]
    public void Pure_ack_echoes_the_tsval_of_the_segment_it_acknowledges()
    {
        Connection().At(20).Segment("[P.] seq 5001 ack 1001 win 65535 <TS val 150 ecr 5> \"hi\"")
            .Sends("[.] seq 1001 ack 5003 win 65535 <TS val 20 ecr 150>");
    }

    [Fact]
    public void Fin_carries_a_timestamp()
    {
        Connection().At(30).Close().Sends("[F.] seq 1001 ack 5001 win 65535 <TS val 30 ecr 101>");
    }

    [Fact]
    public void Rst_carries_no_timestamp()
    {
        Connection().At(30).Abort().Sends("[R] seq 1001 win 0 <>");
    }

    [Fact]
    public void Out_of_order_segment_does_not_update_ts_recent()
    {
        var h = Connection();
        h.At(20).Segment("[P.] seq 5010 ack 1001 win 65535 <TS val 300 ecr 5> \"x\"")
            .Sends("[.] seq 1001 ack 5001 win 65535 <TS val 20 ecr 101>");
        Assert.Equal(101u, h.TsRecent);
    }

    [Fact]
    public void Delayed_ack_echoes_the_earliest_unacknowledged_segments_timestamp()
    {
        // RFC 7323 §4.3 (2): the ACK for several segments echoes the TSval of the first of them.
        var h = Connection(DefaultConfig with { DelayedAck = TimeSpan.FromMilliseconds(40) });
        h.At(10).Segment("[.] seq 5001 ack 1001 win 65535 <TS val 200 ecr 5> len 100").SendsNothing();
        h.At(20).Segment("[.] seq 5101 ack 1001 win 65535 <TS val 210 ecr 5> len 100")
            .Sends("[.] seq 1001 ack 5201 win 65535 <TS val 20 ecr 200>");
    }

    [Fact]
    public void Ack_for_a_segment_that_filled_a_hole_echoes_that_segments_timestamp()
    {
        // RFC 7323 §4.3 (3): the segment that fills the hole advanced the window; its TSval is echoed.
        var h = Connection();
        h.At(10).Segment("[P.] seq 5006 ack 1001 win 65535 <TS val 200 ecr 5> \"world\"");
        h.At(20).Segment("[P.] seq 5001 ack 1001 win 65535 <TS val 210 ecr 5> \"hello\"")
            .Sends("[.] seq 1001 ack 5011 win 65535 <TS val 20 ecr 210>");
    }

    [Fact]
    public void Timestamp_echo_measures_the_round_trip_of_a_retransmitted_segment()
    {
        // Karn's rule forbids timing a retransmission by the clock; the echo says which copy was answered.
        var h = Connection();
        h.At(2).Send("hello").Sends("[P.] seq 1001 ack 5001 win 65535 <TS val 2 ecr 101> len 5 \"hello\"");
        h.FireNextTimer().Sends("[P.] seq 1001 ack 5001 win 65535 <TS val 202 ecr 101> len 5 \"hello\"");
        var before = h.SmoothedRtt;
        h.At(252).Segment("[.] seq 5001 ack 1006 win 65535 <TS val 150 ecr 202>");
        // SRTT 1 ms from the handshake, then a 50 ms sample: 7/8 · 1 + 1/8 · 50 = 7.125 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(1), before);
        Assert.Equal(TimeSpan.FromMilliseconds(7.125), h.SmoothedRtt);
    }

    [Fact]
    public void Timestamp_echo_of_zero_gives_no_rtt_sample()
    {
        var h = Connection();
        h.At(2).Send("hello");
        h.FireNextTimer();
        h.At(252).Segment("[.] seq 5001 ack 1006 win 65535 <TS val 150 ecr 0>");
        Assert.Equal(TimeSpan.FromMilliseconds(1), h.SmoothedRtt);
    }

    [Fact]
    public void Retransmitted_syn_ack_carries_a_fresh_tsval()
    {
        SynReceived(syn: TimestampSyn).FireNextTimer().Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,TS val 1000 ecr 100>");
    }

    [Fact]
    public void Retransmitted_syn_gets_a_syn_ack_echoing_its_newer_timestamp()
    {
        // RFC 7323 §4.3: the repeated SYN (SEG.SEQ ≤ Last.ACK.sent) updates TS.Recent, so the peer's
        // RTT sample from our SYN-ACK times this SYN, not the lost first one a second earlier.
        SynReceived(syn: TimestampSyn).At(1000).Segment("[S] seq 5000 win 65535 <mss 1460,TS val 1100 ecr 0>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,TS val 1000 ecr 1100>");
    }

    [Fact]
    public void Repeated_syn_with_an_older_timestamp_does_not_set_ts_recent_back()
    {
        SynReceived(syn: TimestampSyn).At(1000).Segment("[S] seq 5000 win 65535 <mss 1460,TS val 50 ecr 0>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,TS val 1000 ecr 100>");
    }

    [Fact]
    public void Simultaneous_open_echoes_the_timestamp_of_the_peers_syn_ack()
    {
        var h = SynSent();
        h.At(1).Segment("[S] seq 5000 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,wscale 7>");
        h.At(2).Segment("[S.] seq 5000 ack 1001 win 65535 <mss 1460,sackOK,TS val 101 ecr 1,wscale 7>")
            .Sends("[.] seq 1001 ack 5001 win 32768 <TS val 2 ecr 101>")
            .Is(TcpState.Established);
    }

    [Fact]
    public void Timestamp_clock_wraps_modulo_2_32_milliseconds()
    {
        // 2^32 ms is about 49.7 days: TSval is the step's time in ms, truncated to 32 bits.
        long wrap = 1L << 32;
        Connection().At(wrap + 7).Send("hi").Sends("[P.] seq 1001 ack 5001 win 65535 <TS val 7 ecr 101> len 2 \"hi\"");
    }

    [Fact]
    public void Segment_without_a_timestamp_is_accepted_as_linux_does_not_dropped_as_rfc_7323_suggests()
    {
        // RFC 7323 §3.2 says a non-RST segment without TSopt SHOULD be dropped once timestamps are on;
        // RxTcp, like Linux, takes it (and leaves TS.Recent alone).
        var h = Connection().At(20).Segment("[P.] seq 5001 ack 1001 win 65535 \"hi\"")
            .Sends("[.] seq 1001 ack 5003 win 65535 <TS val 20 ecr 101>").Delivers("hi");
        Assert.Equal(101u, h.TsRecent);
    }
}
