using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 2018 as a receiver: SACK permitted by both SYNs, blocks for the out-of-order data we hold,
/// the block holding the latest arrival first (§4), at most four blocks, three beside timestamps.
/// Beyond the first block RxTcp reports the remaining ranges from the lowest (a documented choice,
/// where §4 suggests repeating the most recently reported ones). No D-SACK (RFC 2883).
/// </summary>
public class SackBlockGenerationTests
{
    private static StepHarness Connection(TcpConfig? config = null) => Established(config, syn: SackSyn);

    [Fact]
    public void Sack_is_on_when_both_syns_permit_it()
    {
        Assert.True(Connection().SackEnabled);
        Assert.False(Established(syn: PlainSyn).SackEnabled);
        Assert.False(Established(DefaultConfig with { Sack = false }, syn: SackSyn).SackEnabled);
    }

    [Fact]
    public void Out_of_order_segment_is_reported_in_a_sack_block()
    {
        Connection().At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100")
            .Sends("[.] seq 1001 ack 5001 win 65535 <sack 1 {5101:5201}>");
    }

    [Fact]
    public void Range_holding_the_latest_arrival_is_reported_first()
    {
        var h = Connection();
        h.At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100");
        h.At(3).Segment("[.] seq 5301 ack 1001 win 65535 len 100")
            .Sends("[.] seq 1001 ack 5001 win 65535 <sack 2 {5301:5401 5101:5201}>");
    }

    [Fact]
    public void Arrival_extending_an_older_range_reports_that_merged_range_first()
    {
        var h = Connection();
        h.At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100");
        h.At(3).Segment("[.] seq 5301 ack 1001 win 65535 len 100");
        h.At(4).Segment("[.] seq 5201 ack 1001 win 65535 len 50")
            .Sends("[.] seq 1001 ack 5001 win 65535 <sack 2 {5101:5251 5301:5401}>");
    }

    [Fact]
    public void Arrival_bridging_two_ranges_reports_them_as_one()
    {
        var h = Connection();
        h.At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100");
        h.At(3).Segment("[.] seq 5301 ack 1001 win 65535 len 100");
        h.At(4).Segment("[.] seq 5151 ack 1001 win 65535 len 200")
            .Sends("[.] seq 1001 ack 5001 win 65535 <sack 1 {5101:5401}>");
    }

    [Fact]
    public void At_most_four_blocks_the_latest_then_the_lowest_ranges()
    {
        var h = Connection();
        foreach (uint seq in new uint[] { 5101, 5301, 5501, 5701 }) h.At(2).Segment($"[.] seq {seq} ack 1001 win 65535 len 100");
        h.At(3).Segment("[.] seq 5901 ack 1001 win 65535 len 100")
            .Sends("[.] seq 1001 ack 5001 win 65535 <sack 4 {5901:6001 5101:5201 5301:5401 5501:5601}>");
    }

    [Fact]
    public void At_most_three_blocks_fit_beside_a_timestamp()
    {
        var h = Established(syn: "[S] seq 5000 win 65535 <mss 1460,sackOK,TS val 100 ecr 0>");
        foreach (uint seq in new uint[] { 5101, 5301, 5501 }) h.At(2).Segment($"[.] seq {seq} ack 1001 win 65535 len 100");
        h.At(3).Segment("[.] seq 5701 ack 1001 win 65535 len 100")
            .Sends("[.] seq 1001 ack 5001 win 65535 <TS val 3 ecr 101,sack 3 {5701:5801 5101:5201 5301:5401}>");
    }

    [Fact]
    public void Filling_the_first_hole_leaves_only_the_higher_range_reported()
    {
        var h = Connection();
        h.At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100");
        h.At(3).Segment("[.] seq 5301 ack 1001 win 65535 len 100");
        h.At(4).Segment("[.] seq 5001 ack 1001 win 65535 len 100")
            .Sends("[.] seq 1001 ack 5201 win 65535 <sack 1 {5301:5401}>");
    }

    [Fact]
    public void Sack_blocks_disappear_once_every_hole_is_filled()
    {
        var h = Connection();
        h.At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100");
        h.At(3).Segment("[.] seq 5001 ack 1001 win 65535 len 100").Sends("[.] seq 1001 ack 5201 win 65535 <>");
    }

    [Fact]
    public void Duplicate_data_is_acknowledged_without_a_dsack_block_as_rxtcp_has_no_rfc_2883()
    {
        var h = Connection();
        h.At(2).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"");
        h.At(3).Segment("[P.] seq 5001 ack 1001 win 65535 \"hello\"").Sends("[.] seq 1001 ack 5006 win 65535 <>");
    }

    [Fact]
    public void Without_sack_out_of_order_data_gets_a_plain_duplicate_ack()
    {
        Established(syn: PlainSyn).At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100")
            .Sends("[.] seq 1001 ack 5001 win 65535 <>");
    }

    [Fact]
    public void Data_beyond_the_window_is_neither_held_nor_reported()
    {
        var h = Connection(DefaultConfig with { ReceiveBufferSize = 1000 });
        h.At(2).Segment("[.] seq 6001 ack 1001 win 65535 len 10").Sends("[.] seq 1001 ack 5001 win 1000 <>").Dropped();
        Assert.Empty(h.OutOfOrder);
    }

    [Fact]
    public void Sack_blocks_ride_on_our_data_segments_and_their_room_comes_out_of_the_payload()
    {
        // RFC 6691: the MSS bounds data and options together, so 12 bytes of SACK option leave 1448.
        var h = Connection(DefaultConfig with { NoDelay = true });
        h.At(2).Segment("[.] seq 5101 ack 1001 win 65535 len 100");
        h.At(3).Send(3000).Sends(
            "[.] seq 1001 ack 5001 win 65535 <sack 1 {5101:5201}> len 1448",
            "[.] seq 2449 ack 5001 win 65535 <sack 1 {5101:5201}> len 1448",
            "[P.] seq 3897 ack 5001 win 65535 <sack 1 {5101:5201}> len 104");
    }
}
