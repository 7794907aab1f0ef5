using Reactive.Tcp.Tests.Marbles;
using RxTcp.Cli;
using Xunit;

namespace Reactive.Tcp.Tests.Diagnostics;

/// <summary><c>rxtcp trace</c> on real capture files in a temporary directory.</summary>
public sealed class TraceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rxtcp-trace-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Run(string file, bool marble = false, bool svg = false, string? svgOut = null, int? only = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TraceCommand.Run(file, marble, svg, svgOut, only, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Capture(string name, bool bothSides)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, CapturedExchange.Record(bothSides));
        return path;
    }

    [Fact]
    public void Lists_the_connections_of_a_capture()
    {
        var (code, stdout, stderr) = Run(Capture("x.pcap", bothSides: false));
        Assert.Equal(0, code);
        Assert.Empty(stderr);
        Assert.Contains("10 packets, 1 TCP connection(s).", stdout, StringComparison.Ordinal);
        Assert.Matches(@"   1  192\.0\.2\.2:\d+ > 192\.0\.2\.1:80 +10 segments +0\.004000 s  local 192\.0\.2\.1:80", stdout);
    }

    [Fact]
    public void Marble_output_parses_as_a_scenario()
    {
        var (code, stdout, _) = Run(Capture("x.pcap", bothSides: true), marble: true);
        Assert.Equal(0, code);
        var scenario = MarbleParser.Parse(stdout, "trace output");
        Assert.Equal(3, scenario.In.Events.Count);
        Assert.StartsWith("# Connection 1 of 1 in x.pcap", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Svg_goes_next_to_the_capture_or_where_asked()
    {
        string pcap = Capture("exchange.pcap", bothSides: false);
        var (code, _, stderr) = Run(pcap, svg: true);
        Assert.Equal(0, code);
        string beside = Path.Combine(_dir, "exchange.svg");
        Assert.Contains(beside, stderr, StringComparison.Ordinal);
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", File.ReadAllText(beside), StringComparison.Ordinal);

        string chosen = Path.Combine(_dir, "chosen.svg");
        Assert.Equal(0, Run(pcap, svg: true, svgOut: chosen).Code);
        Assert.True(File.Exists(chosen));

        var (toStdout, svgText, _) = Run(pcap, svg: true, svgOut: "-");
        Assert.Equal(0, toStdout);
        Assert.Contains("</svg>", svgText, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_garbled_and_empty_files_fail_with_one_clear_line()
    {
        var missing = Run(Path.Combine(_dir, "nope.pcap"), marble: true);
        Assert.Equal((1, ""), (missing.Code, missing.Out));
        Assert.Equal($"rxtcp trace: {Path.Combine(_dir, "nope.pcap")}: no such file", missing.Err.Trim());

        string garbled = Path.Combine(_dir, "garbled.pcap");
        File.WriteAllText(garbled, "this is not a capture, just some text");
        var bad = Run(garbled, marble: true);
        Assert.Equal(1, bad.Code);
        Assert.Contains("Not a pcap file", bad.Err, StringComparison.Ordinal);
        Assert.Single(bad.Err.Trim().Split('\n'));

        var noSuchConnection = Run(Capture("x.pcap", bothSides: false), marble: true, only: 2);
        Assert.Equal(1, noSuchConnection.Code);
        Assert.Contains("there is no connection 2", noSuchConnection.Err, StringComparison.Ordinal);
    }
}
