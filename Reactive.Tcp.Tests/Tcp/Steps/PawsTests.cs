using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 7323 §5, PAWS: a non-RST segment whose TSval is older than TS.Recent (modulo 2^32) is an old
/// duplicate: dropped and answered with an ACK. TS.Recent is 101 after the builder's handshake.
/// RxTcp does not implement §5.5's invalidation of TS.Recent after 24 days idle.
/// </summary>
public class PawsTests
{
    private static StepHarness Connection() => Established(syn: TimestampSyn);

    [Fact]
    public void Segment_with_a_timestamp_older_than_ts_recent_is_dropped_and_acknowledged()
    {
        var h = Connection().At(20).Segment("[P.] seq 5001 ack 1001 win 65535 <TS val 50 ecr 5> \"hi\"")
            .Sends("[.] seq 1001 ack 5001 win 65535 <TS val 20 ecr 101>").Dropped().Delivers("");
        Assert.Equal(5001u, h.RcvNxt);
        Assert.Equal(101u, h.TsRecent);
    }

    [Fact]
    public void Paws_rejected_data_is_always_answered()
    {
        Connection().At(20).Segment("[P.] seq 5001 ack 1001 win 65535 <TS val 50 ecr 5> \"hi\"").Limited(LimitedAck.None);
    }

    [Fact]
    public void Paws_rejected_empty_ack_is_answered_under_the_per_connection_limit()
    {
        Connection().At(20).Segment("[.] seq 5001 ack 1001 win 65535 <TS val 50 ecr 5>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <TS val 20 ecr 101>").Limited(LimitedAck.OutOfWindow);
    }

    [Fact]
    public void Paws_rejected_syn_gets_a_challenge_ack()
    {
        Connection().At(20).Segment("[S] seq 5001 win 65535 <mss 1460,TS val 50 ecr 0>")
            .Sends("[.] seq 1001 ack 5001 win 65535 <TS val 20 ecr 101>").Limited(LimitedAck.Challenge);
    }

    [Fact]
    public void Paws_rejected_segment_has_its_ack_ignored()
    {
        var h = Connection();
        h.At(10).Send("hello");
        h.At(20).Segment("[.] seq 5001 ack 1006 win 65535 <TS val 50 ecr 10>");
        Assert.Equal(1001u, h.SndUna);
    }

    [Fact]
    public void Timestamp_equal_to_ts_recent_passes()
    {
        Connection().At(20).Segment("[P.] seq 5001 ack 1001 win 65535 <TS val 101 ecr 5> \"hi\"")
            .Sends("[.] seq 1001 ack 5003 win 65535 <TS val 20 ecr 101>").Delivers("hi");
    }

    [Fact]
    public void Rst_with_an_old_timestamp_is_not_subject_to_paws()
    {
        Connection().At(20).Segment("[R] seq 5001 win 0 <TS val 50 ecr 0>").SendsNothing().IsClosedWith(TcpError.Reset);
    }

    [Fact]
    public void Timestamps_are_compared_modulo_2_32()
    {
        var h = Established(syn: "[S] seq 5000 win 65535 <mss 1460,TS val 4294967280 ecr 0>");
        Assert.Equal(4294967281u, h.TsRecent);
        h.At(20).Segment("[P.] seq 5001 ack 1001 win 65535 <TS val 5 ecr 1> \"hi\"")
            .Sends("[.] seq 1001 ack 5003 win 65535 <TS val 20 ecr 5>").Delivers("hi");
    }

    [Fact]
    public void Timestamp_more_than_2_31_ahead_counts_as_old()
    {
        Connection().At(20).Segment("[P.] seq 5001 ack 1001 win 65535 <TS val 2147483750 ecr 5> \"hi\"")
            .Sends("[.] seq 1001 ack 5001 win 65535 <TS val 20 ecr 101>").Dropped();
    }

    [Fact]
    public void Paws_is_off_when_timestamps_were_not_negotiated()
    {
        Established(syn: PlainSyn).At(20).Segment("[P.] seq 5001 ack 1001 win 65535 <TS val 1 ecr 5> \"hi\"")
            .Sends("[.] seq 1001 ack 5003 win 65535 <>").Delivers("hi");
    }

    [Fact]
    public void Paws_rejection_in_time_wait_is_answered_with_an_ack()
    {
        TimeWait(syn: TimestampSyn).At(20).Segment("[F.] seq 5001 ack 1002 win 65535 <TS val 50 ecr 1>")
            .Sends("[.] seq 1002 ack 5002 win 65535 <TS val 20 ecr 101>").Dropped().Is(TcpState.TimeWait);
    }
}
