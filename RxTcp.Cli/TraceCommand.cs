using System.CommandLine;
using System.Globalization;
using Reactive.Tcp.Diagnostics.Rendering;

namespace RxTcp.Cli;

/// <summary><c>rxtcp trace</c>: a pcap file's TCP connections as a list, as marble diagrams, or as SVG sequence pictures.</summary>
public static class TraceCommand
{
    /// <summary>Builds the <c>trace</c> command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A classic pcap file (tcpdump -w, rxtcp --pcap, PcapWriter): raw IP, Ethernet or Linux cooked link type.", HelpName = "FILE.pcap" };
        var marble = new Option<bool>("--marble", "-m") { Description = "Print each connection as a marble diagram (the notation of marbles/*.marble), with a tcpdump-style legend." };
        var svg = new Option<string?>("--svg")
        {
            Description = "Write each connection as an SVG sequence picture: to OUT.svg, or next to FILE; with several connections, "
                + "OUT-1.svg, OUT-2.svg, ...; '-' writes to standard output.",
            HelpName = "OUT.svg",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var connection = new Option<int?>("--connection", "-c")
        {
            Description = "Only this connection (its number in the list 'rxtcp trace FILE' prints).",
            HelpName = "n",
            CustomParser = r => TunOptions.ParseInt(r, "--connection", 1, int.MaxValue),
        };
        var command = new Command("trace",
            "Reads a pcap capture and groups its TCP segments by connection. Without options it lists the connections; "
            + "--marble draws them as marble diagrams, --svg as sequence pictures. Sequence numbers are relative to each side's ISN.")
        {
            file, marble, svg, connection,
        };
        command.SetAction(parse =>
        {
            bool wantSvg = parse.GetResult(svg) is not null;
            return Run(parse.GetValue(file)!, parse.GetValue(marble), wantSvg, parse.GetValue(svg), parse.GetValue(connection), Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>The command's work, writing to the given writers; returns the exit code (0 done, 1 the file could not be read or drawn).</summary>
    public static int Run(string file, bool marble, bool svg, string? svgOut, int? only, TextWriter stdout, TextWriter stderr)
    {
        TcpTrace trace;
        try
        {
            trace = TcpTrace.Load(file);
        }
        catch (Exception e) when (e is PcapFormatException or IOException or UnauthorizedAccessException)
        {
            string why = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ServeCommand.OneLine(e.Message);
            stderr.WriteLine($"rxtcp trace: {file}: {why}");
            return 1;
        }

        var numbered = trace.Connections.Select((c, i) => (Number: i + 1, Connection: c)).ToList();
        if (only is { } n)
        {
            if (n > trace.Connections.Count)
            {
                stderr.WriteLine($"rxtcp trace: {file} has {trace.Connections.Count} TCP connection(s); there is no connection {n}.");
                return 1;
            }
            numbered = [numbered[n - 1]];
        }
        if (trace.Connections.Count == 0)
        {
            stderr.WriteLine($"rxtcp trace: {file}: no TCP segments among its {trace.PacketCount} packet(s).");
            return 1;
        }

        if (!marble && !svg)
        {
            stdout.WriteLine($"{file}: {trace.PacketCount} packets, {trace.Connections.Count} TCP connection(s){(trace.SkippedPackets > 0 ? $", {trace.SkippedPackets} other packets skipped" : "")}.");
            foreach (var (number, c) in numbered)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{number,4}  {c,-44}  {c.Segments.Count,6} segments  {c.Duration.TotalSeconds,10:0.000000} s  local {c.Local}"));
            stdout.WriteLine("Use --marble or --svg [OUT.svg] to draw them, --connection N for one.");
            return 0;
        }

        if (marble)
        {
            bool first = true;
            foreach (var (number, c) in numbered)
            {
                if (!first) stdout.WriteLine();
                first = false;
                stdout.Write(MarbleDiagram.Render(c, $"Connection {number} of {trace.Connections.Count} in {Path.GetFileName(file)}"));
            }
        }

        if (svg)
        {
            foreach (var (number, c) in numbered)
            {
                string picture = SequenceSvg.Render(c, $"{Path.GetFileName(file)} #{number}: {c}");
                if (svgOut == "-")
                {
                    stdout.Write(picture);
                    continue;
                }
                string path = SvgPath(file, svgOut, number, numbered.Count > 1);
                try
                {
                    File.WriteAllText(path, picture);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"rxtcp trace: cannot write {path}: {ServeCommand.OneLine(e.Message)}");
                    return 1;
                }
                stderr.WriteLine($"rxtcp trace: connection {number} ({c.Segments.Count} segments) drawn in {path}");
            }
        }
        return 0;
    }

    private static string SvgPath(string file, string? svgOut, int number, bool several)
    {
        string stem = svgOut is { Length: > 0 }
            ? (svgOut.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ? svgOut[..^4] : svgOut)
            : Path.Combine(Path.GetDirectoryName(file) ?? "", Path.GetFileNameWithoutExtension(file));
        return several ? $"{stem}-{number}.svg" : stem + ".svg";
    }
}
