using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Reactive.Tcp.Tests.Marbles;

/// <summary>Every <c>marbles/**/*.marble</c> file is one test case, shown under its relative path.</summary>
public sealed class MarbleScenarioTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.EnumerateFiles(MarbleFiles.Root, "*.marble", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(MarbleFiles.Root, path).Replace('\\', '/'));
        return data;
    }

    [MarbleTheory]
    [MemberData(nameof(Files))]
    public void Scenario(string file) =>
        MarbleFiles.AssertPasses(File.ReadAllText(Path.Combine(MarbleFiles.Root, file)), file);

    /// <summary>
    /// Honesty check on the files themselves: moving a scenario's expected segments (or its later
    /// state changes) one frame later must make it fail, so every lane really constrains the stack.
    /// </summary>
    [Theory]
    [MemberData(nameof(Files))]
    public void Scenario_fails_when_its_expectations_are_shifted_one_frame(string file)
    {
        var text = File.ReadAllText(Path.Combine(MarbleFiles.Root, file));
        var original = MarbleParser.Parse(text, file);
        bool checkedSomething = false;
        if (original.Out.Events.Count > 0)
        {
            var shifted = MarbleParser.Parse(text, file);
            shifted.Out = Shift(shifted.Out, shifted.Frame, skipFirst: false);
            var report = MarbleReport.Check(shifted, MarbleRunner.Run(shifted));
            Assert.False(report.Passed, $"{file} still passes with its out lane one frame later");
            Assert.Contains(report.Differences, d => d.StartsWith("out at", StringComparison.Ordinal));
            checkedSomething = true;
        }
        if (original.State.Events.Count > 1)
        {
            var shifted = MarbleParser.Parse(text, file);
            shifted.State = Shift(shifted.State, shifted.Frame, skipFirst: true);
            var report = MarbleReport.Check(shifted, MarbleRunner.Run(shifted));
            Assert.False(report.Passed, $"{file} still passes with its state changes one frame later");
            Assert.Contains(report.Differences, d => d.StartsWith("state at", StringComparison.Ordinal));
            checkedSomething = true;
        }
        if (!checkedSomething)
            Assert.True(original.Drops is not null || original.Error is not null, $"{file} expects no segment, no state change and no final outcome");
    }

    private static MarbleLane Shift(MarbleLane lane, long frame, bool skipFirst) =>
        new(lane.Name, lane.Events.Select((e, i) => skipFirst && i == 0 ? e : e with { Time = e.Time + frame }).ToList(), lane.End + frame);

    [Fact]
    public void Every_scenario_folder_has_files()
    {
        var folders = Directory.EnumerateFiles(MarbleFiles.Root, "*.marble", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(MarbleFiles.Root, Path.GetDirectoryName(f)!))
            .ToHashSet();
        foreach (var folder in new[] { "handshake", "data", "retransmission", "close", "reset" })
            Assert.Contains(folder, folders);
    }
}

/// <summary>Loads, runs and checks scenarios.</summary>
internal static class MarbleFiles
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "marbles");

    public static MarbleReport Check(string text, string name)
    {
        var scenario = MarbleParser.Parse(text, name);
        var run = MarbleRunner.Run(scenario);
        return MarbleReport.Check(scenario, run);
    }

    public static void AssertPasses(string text, string name)
    {
        var report = Check(text, name);
        if (!report.Passed) Assert.Fail(report.Message);
    }
}

/// <summary>A <see cref="TheoryAttribute"/> whose cases are named by their first argument (the scenario's relative path).</summary>
[XunitTestCaseDiscoverer("Reactive.Tcp.Tests.Marbles.MarbleTheoryDiscoverer", "Reactive.Tcp.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class MarbleTheoryAttribute : TheoryAttribute
{
}

/// <summary>Discovers <see cref="MarbleTheoryAttribute"/> theories as <see cref="MarbleTestCase"/>s.</summary>
public sealed class MarbleTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow) =>
        [new MarbleTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, dataRow)];
}

/// <summary>A theory case displayed as its scenario path, e.g. <c>close/time-wait-expiry.marble</c>.</summary>
public sealed class MarbleTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public MarbleTestCase()
    {
    }

    public MarbleTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions, ITestMethod testMethod, object[] testMethodArguments)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod, testMethodArguments)
    {
    }

    protected override string GetDisplayName(IAttributeInfo factAttribute, string displayName) =>
        TestMethodArguments is [string path, ..] ? path : base.GetDisplayName(factAttribute, displayName);
}
