using System.Globalization;

namespace RxTcp.Cli;

/// <summary>
/// CPU time (user + system) of this process's threads by thread name, from
/// <c>/proc/self/task/*/stat</c>: enough to tell which thread a benchmark is bound by (the TUN
/// reader, the stack's event loop, the garbage collector) without a profiler.
/// </summary>
internal static class ThreadCpu
{
    // USER_HZ: the unit of utime/stime in /proc, 100 on every Linux architecture we run on.
    private const double TicksPerSecond = 100;

    /// <summary>Seconds of CPU per thread name so far (threads of the same name added up); empty where /proc cannot be read.</summary>
    public static Dictionary<string, double> Snapshot()
    {
        var seconds = new Dictionary<string, double>();
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories("/proc/self/task");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return seconds;
        }
        foreach (var task in tasks)
        {
            string line;
            try
            {
                line = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // the thread ended meanwhile
            }
            // "tid (name) state ppid ...": the name may hold spaces and parentheses, so split after the last ')'.
            int open = line.IndexOf('('), close = line.LastIndexOf(')');
            if (open < 0 || close < open) continue;
            var name = line[(open + 1)..close];
            var fields = line[(close + 2)..].Split(' ');
            if (fields.Length < 13) continue;
            double ticks = double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
            seconds[name] = seconds.GetValueOrDefault(name) + ticks / TicksPerSecond;
        }
        return seconds;
    }

    /// <summary>User and system CPU seconds of process <paramref name="pid"/> so far (all its threads); zeros when it cannot be read.</summary>
    public static (double User, double System) OfProcess(int pid)
    {
        try
        {
            var line = File.ReadAllText($"/proc/{pid}/stat");
            var fields = line[(line.LastIndexOf(')') + 2)..].Split(' ');
            return (double.Parse(fields[11], CultureInfo.InvariantCulture) / TicksPerSecond, double.Parse(fields[12], CultureInfo.InvariantCulture) / TicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return (0, 0);
        }
    }

    /// <summary>CPU seconds per thread name since <paramref name="start"/>, largest first, those under 10 ms left out.</summary>
    public static IReadOnlyList<(string Thread, double Seconds)> Since(Dictionary<string, double> start) =>
        Snapshot()
            .Select(kv => (Thread: kv.Key, Seconds: kv.Value - start.GetValueOrDefault(kv.Key)))
            .Where(t => t.Seconds >= 0.01)
            .OrderByDescending(t => t.Seconds)
            .ToList();
}
