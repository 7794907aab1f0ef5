using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RxTcp.Cli;

/// <summary>
/// Prints what <c>rxtcp bench http</c> measured: a table with one column per server and one line
/// per figure under each load, with RxTcp's ratios to nginx (and Kestrel on RxTcp's to Kestrel on
/// sockets) at the right; or the same as one JSON object.
/// </summary>
internal static class BenchHttpReport
{
    private const int LabelWidth = 40;
    private const int ColumnWidth = 19;
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>One figure of the table: its label, how a cell's value is taken and shown, and whether more is better.</summary>
    private sealed record Figure(string Label, string Json, Func<BenchHttp.Cell, double> Value, Func<double, string> Show, bool HigherIsBetter, bool Ratio);

    private static readonly Figure Rate = new("requests/s", "requestsPerSecond", c => c.Median(s => s.RequestsPerSecond), v => v.ToString("N0", C), true, true);
    private static readonly Figure Gbit = new("Gbit/s (median download)", "gbitPerSecond", c => c.Median(s => s.Gbit), v => v.ToString("F2", C), true, true);
    private static readonly Figure P50 = new("latency p50", "p50Ms", c => c.Median(s => s.P50Ms), Milliseconds, false, true);
    private static readonly Figure P99 = new("latency p99", "p99Ms", c => c.Median(s => s.P99Ms), Milliseconds, false, true);
    private static readonly Figure Errors = new("errors (non-2xx, socket, time-out)", "errors", c => c.Total(s => s.Errors), v => v.ToString("N0", C), false, false);
    private static readonly Figure Timeouts = new("  of which time-outs", "timeouts", c => c.Total(s => s.Timeouts), v => v.ToString("N0", C), false, false);
    private static readonly Figure Memory = new("peak RSS", "peakRssBytes", c => c.Median(s => s.PeakRssBytes), v => (v / 1048576).ToString("N0", C) + " MiB", false, true);
    private static readonly Figure Drops = new("TUN queue drops", "tunQueueDrops", c => c.Median(s => s.DeviceDrops ?? double.NaN), v => v.ToString("N0", C), false, false);

    private static Figure[] FiguresOf(BenchHttpLoadKind load) => load == BenchHttpLoadKind.Download
        ? [Gbit, P50 with { Label = "download time p50" }, P99 with { Label = "download time max" }, Errors, Memory, Drops]
        : [Rate, P50, P99, Errors, Timeouts, Memory, Drops];

    public static void WriteText(BenchHttp.Report report, TextWriter o)
    {
        var settings = report.Settings;
        o.WriteLine(string.Create(C, $"rxtcp bench http: {(settings.Runs == 1 ? "one run" : $"medians of {settings.Runs} runs")}, servers interleaved"));
        var loads = report.Cells.Select(c => c.Load).Distinct().Order().ToList();
        foreach (var load in loads)
        {
            WriteSection(o, settings.Loads.Describe(load), report, load,
                [BenchHttpServerKind.RxTcp, BenchHttpServerKind.RxTcpOffload, BenchHttpServerKind.Nginx],
                [("RxTcp/nginx", BenchHttpServerKind.RxTcp, BenchHttpServerKind.Nginx), ("offload/nginx", BenchHttpServerKind.RxTcpOffload, BenchHttpServerKind.Nginx)]);
        }
        if (report.Find(BenchHttpLoadKind.KeepAlive, BenchHttpServerKind.KestrelRxTcp) is not null)
        {
            WriteSection(o, "Kestrel, " + settings.Loads.Describe(BenchHttpLoadKind.KeepAlive), report, BenchHttpLoadKind.KeepAlive,
                [BenchHttpServerKind.KestrelRxTcp, BenchHttpServerKind.KestrelSockets],
                [("RxTcp/sockets", BenchHttpServerKind.KestrelRxTcp, BenchHttpServerKind.KestrelSockets)]);
        }
        foreach (var tool in report.Missing) o.WriteLine($"  skipped: {tool} is not installed (apt-get install {BenchHttpLoadSettings.Package(tool)})");
        foreach (var cell in report.Cells)
            foreach (var problem in cell.Problems.Distinct())
                o.WriteLine($"  problem: {BenchHttp.Name(cell.Server)}, {settings.Loads.Describe(cell.Load)}: {problem}");
        foreach (var note in report.Notes) o.WriteLine("  note: " + note);
    }

    private static void WriteSection(TextWriter o, string title, BenchHttp.Report report, BenchHttpLoadKind load,
        BenchHttpServerKind[] servers, (string Label, BenchHttpServerKind Of, BenchHttpServerKind To)[] ratios)
    {
        var cells = servers.Select(s => report.Find(load, s)).ToArray();
        var present = servers.Where((_, i) => cells[i] is not null).ToArray();
        if (present.Length == 0) return;
        var usable = ratios.Where(r => present.Contains(r.Of) && present.Contains(r.To)).ToArray();
        o.WriteLine();
        o.WriteLine("  " + title);
        var header = new StringBuilder(new string(' ', LabelWidth));
        foreach (var s in present) header.Append(BenchHttp.Name(s).PadLeft(ColumnWidth));
        foreach (var r in usable) header.Append(r.Label.PadLeft(ColumnWidth));
        o.WriteLine(header.ToString());
        foreach (var figure in FiguresOf(load))
        {
            if (figure == Drops && !present.Any(s => s is BenchHttpServerKind.RxTcp or BenchHttpServerKind.RxTcpOffload or BenchHttpServerKind.KestrelRxTcp)) continue;
            var line = new StringBuilder(("    " + figure.Label).PadRight(LabelWidth));
            foreach (var s in present)
            {
                double v = figure.Value(report.Find(load, s)!);
                line.Append((double.IsFinite(v) ? figure.Show(v) : "-").PadLeft(ColumnWidth));
            }
            foreach (var r in usable)
            {
                double of = figure.Value(report.Find(load, r.Of)!), to = figure.Value(report.Find(load, r.To)!);
                line.Append((figure.Ratio && double.IsFinite(of) && double.IsFinite(to) && to != 0 ? (of / to).ToString("F3", C) : "").PadLeft(ColumnWidth));
            }
            o.WriteLine(line.ToString().TrimEnd());
        }
    }

    public static void WriteJson(BenchHttp.Report report, TextWriter o)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            var settings = report.Settings;
            w.WriteStartObject();
            w.WriteString("mode", "http");
            w.WriteString("unit", "requests/s");
            // The headline, as the other modes give it: RxTcp's and nginx's keep-alive rate.
            double rx = report.Find(BenchHttpLoadKind.KeepAlive, BenchHttpServerKind.RxTcp)?.Median(s => s.RequestsPerSecond) ?? double.NaN;
            double nginx = report.Find(BenchHttpLoadKind.KeepAlive, BenchHttpServerKind.Nginx)?.Median(s => s.RequestsPerSecond) ?? double.NaN;
            Number(w, "rxtcp", rx);
            Number(w, "kernel", nginx);
            Number(w, "ratio", rx / nginx);
            w.WriteBoolean("higherIsBetter", true);
            w.WriteNumber("runs", settings.Runs);
            w.WriteStartArray("loads");
            foreach (var load in report.Cells.Select(c => c.Load).Distinct().Order())
            {
                w.WriteStartObject();
                w.WriteString("load", BenchHttp.JsonName(load));
                w.WriteString("description", settings.Loads.Describe(load));
                w.WriteStartObject("servers");
                foreach (var cell in report.Cells.Where(c => c.Load == load))
                {
                    w.WriteStartObject(BenchHttp.JsonName(cell.Server));
                    foreach (var figure in FiguresOf(load).Append(load == BenchHttpLoadKind.Download ? Rate : Gbit).DistinctBy(f => f.Json))
                        Number(w, figure.Json, figure.Value(cell));
                    w.WriteNumber("non2xx", cell.Total(s => s.Non2xx));
                    w.WriteNumber("socketErrors", cell.Total(s => s.SocketErrors));
                    w.WriteNumber("requests", cell.Total(s => s.Requests));
                    w.WriteStartArray("problems");
                    foreach (var p in cell.Problems) w.WriteStringValue(p);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("missing");
            foreach (var tool in report.Missing) w.WriteStringValue(tool);
            w.WriteEndArray();
            w.WriteStartArray("notes");
            foreach (var note in report.Notes) w.WriteStringValue(note);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        o.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static string Milliseconds(double ms) => ms switch
    {
        >= 100 => ms.ToString("N0", C) + " ms",
        >= 10 => ms.ToString("F1", C) + " ms",
        _ => ms.ToString("F2", C) + " ms",
    };

    // JSON has no NaN: a figure that could not be measured is null.
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, 6));
        else w.WriteNull(name);
    }
}
