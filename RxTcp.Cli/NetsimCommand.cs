using System.CommandLine;
using System.Globalization;
using System.Text;

namespace RxTcp.Cli;

/// <summary><c>rxtcp netsim</c>: the throughput-versus-loss table, printed as Markdown and optionally written into a file.</summary>
internal static class NetsimCommand
{
    private const string Begin = "<!-- netsim:begin -->";
    private const string End = "<!-- netsim:end -->";

    /// <summary>Builds the <c>netsim</c> command.</summary>
    public static Command Create()
    {
        var rtt = new Option<double>("--rtt") { Description = "Round-trip time of the wire in milliseconds.", DefaultValueFactory = _ => 100 };
        var buffers = new Option<string>("--buffers") { Description = "Receive buffer sizes in bytes, comma-separated.", DefaultValueFactory = _ => "32768,262144,1048576" };
        var losses = new Option<string>("--loss") { Description = "Loss rates in percent, comma-separated.", DefaultValueFactory = _ => "0,1,10" };
        var bytes = new Option<long>("--bytes") { Description = "Bytes per transfer.", DefaultValueFactory = _ => 4L * 1024 * 1024 };
        var seeds = new Option<int>("--seeds") { Description = "Seeds (transfers) averaged per cell.", DefaultValueFactory = _ => 5 };
        var ecn = new Option<bool>("--ecn") { Description = "Make each --loss rate congestion at an ECN-aware queue (ECN-capable packets marked CE, others dropped) and turn ECN on in both stacks." };
        var update = new Option<string?>("--update") { Description = "Write the table into this Markdown file between netsim markers (appended if absent).", HelpName = "file" };
        var command = new Command("netsim", "Two stacks over the virtual wire at a fixed RTT and random loss, in virtual time: goodput as a percentage of buffer/RTT.")
        {
            rtt, buffers, losses, bytes, seeds, ecn, update,
        };
        command.SetAction(parse =>
        {
            int[] bufferList;
            double[] lossList;
            try
            {
                bufferList = parse.GetValue(buffers)!.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                lossList = parse.GetValue(losses)!.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            }
            catch (FormatException)
            {
                Console.Error.WriteLine("rxtcp: --buffers and --loss take comma-separated numbers (see 'rxtcp netsim --help')");
                return 2;
            }
            var rttValue = TimeSpan.FromMilliseconds(parse.GetValue(rtt));
            long byteCount = parse.GetValue(bytes);
            int seedCount = parse.GetValue(seeds);
            var started = DateTime.UtcNow;
            bool withEcn = parse.GetValue(ecn);
            var cells = NetsimRunner.Run(bufferList, lossList, rttValue, byteCount, seedCount, withEcn);
            var table = Render(cells, rttValue, byteCount, seedCount, DateTime.UtcNow - started, withEcn);
            Console.Write(table);
            if (parse.GetValue(update) is { } file) Write(file, table);
            return cells.Any(c => c.Failures > 0) ? 1 : 0;
        });
        return command;
    }

    private static string Render(IReadOnlyList<NetsimCell> cells, TimeSpan rtt, long bytes, int seeds, TimeSpan took, bool ecn)
    {
        // smoltcp's published figures for the same setup (100 ms RTT, 32 KiB buffer).
        var smoltcp = new Dictionary<double, string> { [0] = "98.6 %", [1] = "68 %", [10] = "11.7 %" };
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Two RxTcp stacks over the virtual wire, RTT {rtt.TotalMilliseconds:0} ms, {bytes / 1024 / 1024.0:0.#} MiB per transfer, mean of {seeds} seeds per row, virtual time (CUBIC, SACK, timestamps, delayed ACK: the defaults).");
        if (ecn) sb.AppendLine("With --ecn, \"loss\" is congestion at an ECN-aware queue (ECN-capable packets marked CE, others dropped) and both stacks use ECN.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run --project RxTcp.Cli -c Release -- netsim{(ecn ? " --ecn" : "")}` ({took.TotalSeconds:0} s of CPU on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}).");
        sb.AppendLine();
        sb.AppendLine("| receive buffer | loss | goodput | % of buffer/RTT | smoltcp (published, 32 KiB) | failed runs |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var c in cells)
        {
            string reference = !ecn && c.ReceiveBuffer == 32768 && smoltcp.TryGetValue(c.LossPercent, out var s) ? s : "";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {c.ReceiveBuffer / 1024} KiB | {c.LossPercent:0.#} % | {c.BytesPerSecond / 1024:0} KiB/s | {c.PercentOfBufferPerRtt:0.0} % | {reference} | {c.Failures}/{c.Runs} |");
        }
        return sb.ToString();
    }

    private static void Write(string file, string table)
    {
        string text = File.Exists(file) ? File.ReadAllText(file) : "";
        string block = Begin + "\n" + table + End;
        int b = text.IndexOf(Begin, StringComparison.Ordinal);
        int e = text.IndexOf(End, StringComparison.Ordinal);
        text = b >= 0 && e > b
            ? text[..b] + block + text[(e + End.Length)..]
            : text.TrimEnd() + "\n\n## netsim: throughput versus loss\n\n" + block + "\n";
        File.WriteAllText(file, text);
    }
}
