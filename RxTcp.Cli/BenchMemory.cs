using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace RxTcp.Cli;

/// <summary>Process and kernel memory readings for <c>rxtcp bench memory</c>, and the file-descriptor limit it needs.</summary>
internal static partial class BenchMemory
{
    private const int RlimitNofile = 7; // Linux, every architecture .NET runs on

    /// <summary>GC heap after a full blocking collection, the process working set, and the kernel's slab memory (bytes).</summary>
    public readonly record struct Reading(long GcHeap, long WorkingSet, long KernelSlab);

    public static Reading Snapshot()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var reading = new Reading(GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64, ReadSlab());
        HoldForHeapDump();
        return reading;
    }

    /// <summary>
    /// With RXTCP_BENCH_HOLD=seconds set, waits that long after each reading so that a heap dump
    /// (<c>dotnet-gcdump collect -p PID</c>) can see exactly what the reading counted.
    /// </summary>
    private static void HoldForHeapDump()
    {
        if (!double.TryParse(Environment.GetEnvironmentVariable("RXTCP_BENCH_HOLD"), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds <= 0) return;
        Console.Error.WriteLine($"rxtcp bench memory: holding {seconds} s for a heap dump, pid {Environment.ProcessId}");
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
    }

    /// <summary>
    /// Raises the soft limit on open files to at least <paramref name="wanted"/> if it can (up to
    /// the hard limit; beyond it as root); returns the soft limit in force afterwards.
    /// </summary>
    public static long RaiseOpenFileLimit(long wanted)
    {
        if (!OperatingSystem.IsLinux()) return long.MaxValue;
        if (getrlimit(RlimitNofile, out var current) != 0) return 1024;
        if ((long)current.Current >= wanted) return (long)current.Current;
        var raised = new RLimit { Current = (ulong)wanted, Maximum = Math.Max(current.Maximum, (ulong)wanted) };
        if (setrlimit(RlimitNofile, in raised) == 0) return wanted;
        var toHard = new RLimit { Current = current.Maximum, Maximum = current.Maximum };
        return setrlimit(RlimitNofile, in toHard) == 0 ? (long)current.Maximum : (long)current.Current;
    }

    private static long ReadSlab()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("Slab:", StringComparison.Ordinal)) continue;
                var kb = line["Slab:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);
}
