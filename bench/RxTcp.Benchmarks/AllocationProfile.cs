using System.Diagnostics.Tracing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Benchmarks;

/// <summary>
/// <c>alloc-profile</c>: runs the pipeline bulk transfer outside BenchmarkDotNet and breaks its
/// allocations down by type, from the runtime's sampled GCAllocationTick events (one per ~100 KB
/// allocated, naming the type that crossed the threshold; over hundreds of MB that is a fair
/// estimate of each type's share). The exact total comes from GC.GetAllocatedBytesForCurrentThread.
/// </summary>
public static class AllocationProfile
{
    public static void Run(int transfers)
    {
        using var rig = new PipelineRig(PipelineBenchmarks.Bytes);
        for (int i = 0; i < 300; i++) rig.Transfer(PipelineBenchmarks.Bytes); // past tiered JIT
        Console.WriteLine(rig.Describe(PipelineBenchmarks.Bytes));
        Console.WriteLine($"sizeof: TcpSegment {Unsafe.SizeOf<TcpSegment>()} B, TcpEvent {Unsafe.SizeOf<TcpEvent>()} B, old StackEvent layout {RxPlumbingBenchmarks.FatEventSize} B, current StackEvent layout {RxPlumbingBenchmarks.SlimEventSize} B");

        using var listener = new AllocationListener(Gettid());
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < transfers; i++) rig.Transfer(PipelineBenchmarks.Bytes);
        long total = GC.GetAllocatedBytesForCurrentThread() - before;
        Thread.Sleep(1000); // let the listener's dispatch thread catch up

        long segments = (long)transfers * PipelineBenchmarks.Segments;
        Console.WriteLine($"{transfers} transfers, {segments} data segments, {total / (double)segments:F0} B allocated per segment (exact)");
        var samples = listener.Snapshot();
        double sampled = samples.Values.Sum(v => (double)v.Bytes);
        Console.WriteLine($"{samples.Values.Sum(v => v.Count)} allocation samples; share of sampled bytes by type:");
        Console.WriteLine("| Type | Share | ≈ B/segment | Samples |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (type, v) in samples.OrderByDescending(p => p.Value.Bytes).Take(20))
            Console.WriteLine($"| `{type}` | {v.Bytes / sampled:P1} | {v.Bytes / sampled * total / segments:F0} | {v.Count} |");

        listener.Dispose();
        var (perSegment, perTransfer) = PerSegmentAndPerTransfer(transfers);
        Console.WriteLine($"split by transfer size (1x and 4x {PipelineBenchmarks.Bytes} B, {transfers} transfers each): " +
                          $"{perSegment:F2} B per segment + {perTransfer:F0} B per transfer (the Send call, scheduler work items)");
    }

    /// <summary>
    /// Allocation per transfer is a fixed part (the application's Send call and the scheduler's
    /// work items, a handful whatever the size) plus a part per segment; transfers of one and four
    /// times the size separate the two: the per-segment part is the slope.
    /// </summary>
    public static (double PerSegment, double PerTransfer) PerSegmentAndPerTransfer(int transfers)
    {
        const int Scale = 4;
        using var rig = new PipelineRig(Scale * PipelineBenchmarks.Bytes);
        for (int i = 0; i < 30; i++)
        {
            rig.Transfer(PipelineBenchmarks.Bytes);
            rig.Transfer(Scale * PipelineBenchmarks.Bytes);
        }
        Console.WriteLine(rig.Describe(Scale * PipelineBenchmarks.Bytes));
        double small = AllocatedPerTransfer(rig, PipelineBenchmarks.Bytes, transfers);
        double large = AllocatedPerTransfer(rig, Scale * PipelineBenchmarks.Bytes, transfers);
        double perSegment = (large - small) / ((Scale - 1) * PipelineBenchmarks.Segments);
        return (perSegment, small - perSegment * PipelineBenchmarks.Segments);
    }

    private static double AllocatedPerTransfer(PipelineRig rig, int bytes, int transfers)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < transfers; i++) rig.Transfer(bytes);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)transfers;
    }

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int LinuxGettid();

    private static long Gettid()
    {
        try { return OperatingSystem.IsLinux() ? LinuxGettid() : -1; }
        catch (EntryPointNotFoundException) { return -1; }
    }

    private sealed class AllocationListener(long threadId) : EventListener
    {
        private readonly object _gate = new();
        private readonly Dictionary<string, (long Bytes, int Count)> _byType = new();

        public Dictionary<string, (long Bytes, int Count)> Snapshot()
        {
            lock (_gate) return new(_byType);
        }

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null || e.PayloadNames is null) return;
            if (threadId > 0 && e.OSThreadId != threadId) return; // skip the listener's own allocations
            int typeIndex = e.PayloadNames.IndexOf("TypeName");
            int amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
            if (amountIndex < 0) amountIndex = e.PayloadNames.IndexOf("AllocationAmount");
            if (typeIndex < 0 || amountIndex < 0) return;
            string type = e.Payload[typeIndex] as string ?? "?";
            long amount = Convert.ToInt64(e.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture);
            lock (_gate)
            {
                _byType.TryGetValue(type, out var v);
                _byType[type] = (v.Bytes + amount, v.Count + 1);
            }
        }
    }
}
