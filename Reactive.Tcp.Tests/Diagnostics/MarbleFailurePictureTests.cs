using System.Xml.Linq;
using Reactive.Tcp.Tests.Marbles;
using Xunit;

namespace Reactive.Tcp.Tests.Diagnostics;

/// <summary>A failing marble scenario's message points at an SVG picture of what the stack actually did.</summary>
public sealed class MarbleFailurePictureTests
{
    // The runner's own deliberately wrong scenario: it expects FIN and ACK in one segment.
    private const string WrongScenario = MarbleRunnerTests.WrongScenario;

    [Fact]
    public void The_failure_message_names_an_svg_of_the_actual_run()
    {
        var report = MarbleFiles.Check(WrongScenario, "in-memory/picture-of-wrong-close");
        Assert.False(report.Passed);

        var line = Assert.Single(report.Message.Split('\n'), l => l.Contains("picture of the actual run: ", StringComparison.Ordinal));
        string path = line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
        Assert.Equal(Path.Combine(MarbleReport.PictureDirectory, "in-memory_picture-of-wrong-close.marble.svg".Replace(".marble", "", StringComparison.Ordinal)), path);
        string svg = File.ReadAllText(path);
        XDocument.Parse(svg);

        // The peer's three scripted segments and the stack's two (SYN-ACK, then the bare ACK of the FIN
        // rather than the FIN the scenario wrongly expects), numbered from each side's ISN.
        Assert.Contains("[S] seq 0 win 65535", svg, StringComparison.Ordinal);
        Assert.Contains("[S.] seq 0 ack 1 win 65535", svg, StringComparison.Ordinal);
        Assert.Contains("[.] seq 1 ack 2 win", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("[F.] seq 1 ack 2", svg, StringComparison.Ordinal);
        // States as the stack reported them, not inferred.
        Assert.Contains("CLOSE-WAIT", svg, StringComparison.Ordinal);
        Assert.Contains("states as the stack reported them", svg, StringComparison.Ordinal);
        Assert.Equal(5, report.ActualRun().Segments.Count);
    }

    [Fact]
    public void A_passing_run_draws_nothing()
    {
        var report = MarbleFiles.Check(WrongScenario.Replace("out:   -s---f-", "out:   -s---(1)-", StringComparison.Ordinal).Replace("def f = [F.] seq 1001 ack 5002", "def 1 = [.] seq 1001 ack 5002", StringComparison.Ordinal).Replace("state: LR-E-K-", "state: LR-E-W-", StringComparison.Ordinal), "in-memory/picture-of-right-close");
        Assert.True(report.Passed, report.Message);
        Assert.Equal("", report.Message);
        Assert.False(File.Exists(Path.Combine(MarbleReport.PictureDirectory, "in-memory_picture-of-right-close.svg")));
    }
}
