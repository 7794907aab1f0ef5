using Reactive.Tcp.Tests.Marbles;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>The outcome of one scenario on Linux.</summary>
internal enum LinuxVerdict
{
    Pass,
    Diverges,
    NotApplicable,
    NotRun,
}

/// <summary>One row of the conformance table.</summary>
internal sealed record ConformanceResult(
    string Scenario,
    string Title,
    bool RxTcpPassed,
    LinuxVerdict Linux,
    string Detail,
    IReadOnlyList<string> Differences,
    string LinuxLane,
    string ExpectedLane,
    string Report,
    IReadOnlyList<string> Approximations,
    TimeSpan Duration);

/// <summary>Runs marble scenarios against RxTcp (virtual time) and the Linux kernel (real time, TUN in a namespace).</summary>
internal static class Conformance
{
    /// <summary>
    /// Scenarios longer than this (in real time) are not run against Linux unless
    /// <c>RXTCP_CONFORMANCE_MAX_SECONDS</c> says otherwise.
    /// </summary>
    public static TimeSpan MaxRealTime =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("RXTCP_CONFORMANCE_MAX_SECONDS"), out int s) ? s : 400);

    public static string Path(string file) => System.IO.Path.Combine(MarbleFiles.Root, file);

    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(MarbleFiles.Root, "*.marble", SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetRelativePath(MarbleFiles.Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>Plays one scenario against the Linux kernel and checks it under the Linux rules.</summary>
    public static LinuxReport RunLinux(string file, out MarbleScenario scenario, out LinuxRun run)
    {
        scenario = MarbleParser.Parse(File.ReadAllText(Path(file)), file);
        run = LinuxMarbleRunner.Run(scenario);
        return LinuxReport.Check(scenario, run);
    }

    /// <summary>Runs one scenario against both stacks.</summary>
    public static ConformanceResult RunBoth(string file)
    {
        var started = DateTime.UtcNow;
        var text = File.ReadAllText(Path(file));
        var scenario = MarbleParser.Parse(text, file);
        bool rx = MarbleReport.Check(scenario, MarbleRunner.Run(scenario)).Passed;
        string expectedLane = MarbleReport.Layout([("out", scenario.Out.Events.ToDictionary(e => e.Time, e => e.Symbols.ToList()))], scenario.Frame, scenario.EndTime)[0][5..];

        var profile = KernelProfile.For(scenario);
        if (profile.NotApplicable is { } na)
            return new(file, scenario.Title, rx, LinuxVerdict.NotApplicable, na, [], "", expectedLane, "", [], TimeSpan.Zero);
        var length = TimeSpan.FromTicks(scenario.EndTime) + LinuxMarbleRunner.Linger;
        if (length > MaxRealTime)
            return new(file, scenario.Title, rx, LinuxVerdict.NotRun, $"needs {length.TotalSeconds:0} s of real time (RXTCP_CONFORMANCE_MAX_SECONDS={MaxRealTime.TotalSeconds:0})", [], "", expectedLane, "", profile.Approximations, TimeSpan.Zero);

        var fresh = MarbleParser.Parse(text, file);
        var run = LinuxMarbleRunner.Run(fresh);
        var report = LinuxReport.Check(fresh, run);
        return new(file, scenario.Title, rx, report.Passed ? LinuxVerdict.Pass : LinuxVerdict.Diverges, "",
            report.Differences, report.LinuxLane, expectedLane, report.Message, profile.Approximations, DateTime.UtcNow - started);
    }
}
