using Xunit;
using RxTcp.Benchmarks;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>
/// Steady-state bulk transfer through the whole pipeline (two stacks, virtual wire, virtual time;
/// the benchmark's own rig) allocates almost nothing per segment. An allocation count is
/// behaviour, not timing: it does not depend on the machine's speed or load.
/// </summary>
public sealed class SteadyStateAllocationTests
{
    private const int Segments = 512;
    private const int Bytes = Segments * 1448; // MSS 1460 less the timestamps option

    [Fact]
    public void Bulk_transfer_allocates_at_most_a_few_bytes_per_segment()
    {
        using var rig = new PipelineRig(Bytes);
        for (int i = 0; i < 30; i++) rig.Transfer(Bytes); // rings rented, lists and queues grown, JIT tiers settled

        const int Transfers = 20;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Transfers; i++) rig.Transfer(Bytes);
        long perSegment = (GC.GetAllocatedBytesForCurrentThread() - before) / (Transfers * Segments);

        // What remains (about 12 B per segment in Release): a segment that straddles the end of the
        // 256 KiB send ring is copied to be contiguous (1448 B every ~181 segments, ≈ 8 B), and the
        // few scheduler work items per transfer (the Send call, send pumps, wire drains). The
        // delivery copy this replaced was 1,484 B per segment.
        Assert.True(perSegment <= 32, $"{perSegment} B allocated per segment");
    }
}
