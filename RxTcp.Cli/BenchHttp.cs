using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Reactive.Tcp.Linux;

namespace RxTcp.Cli;

/// <summary>
/// <c>rxtcp bench http</c>: RxTcp's <c>serve http</c> (without and with <c>--offload</c>) and nginx
/// (kernel TCP) serve the same files at 192.0.2.2:80, each in fresh namespaces, loaded by wrk, ab
/// and curl from the client namespace's kernel; then Kestrel on RxTcp against Kestrel on kernel
/// sockets under the keep-alive load. Every server is started afresh for each load and stopped
/// after it (so one load's leftovers, TIME-WAIT blocks for example, never meet the next), and the
/// servers take turns within each load and run, so that a busy spell on a shared machine hurts
/// each alike. Figures are medians over the runs; errors are added up.
/// </summary>
internal static class BenchHttp
{
    /// <summary>The command's options.</summary>
    public sealed record Settings(int Runs, BenchHttpLoadSettings Loads, int Queues, bool Kestrel);

    /// <summary>All samples of one load on one server, and their medians.</summary>
    public sealed class Cell(BenchHttpLoadKind load, BenchHttpServerKind server)
    {
        public BenchHttpLoadKind Load { get; } = load;
        public BenchHttpServerKind Server { get; } = server;
        public List<BenchHttpSample> Samples { get; } = [];

        public double Median(Func<BenchHttpSample, double> figure)
        {
            var values = Samples.Select(figure).Where(double.IsFinite).Order().ToArray();
            return values.Length == 0 ? double.NaN : values[values.Length / 2];
        }

        public long Total(Func<BenchHttpSample, long> figure) => Samples.Sum(figure);

        public IEnumerable<string> Problems => Samples.Select(s => s.Problem).OfType<string>();
    }

    /// <summary>Everything one invocation measured.</summary>
    public sealed class Report
    {
        public required Settings Settings { get; init; }
        public List<Cell> Cells { get; } = [];
        public List<string> Missing { get; } = [];
        public List<string> Notes { get; } = [];

        public Cell? Find(BenchHttpLoadKind load, BenchHttpServerKind server) => Cells.FirstOrDefault(c => c.Load == load && c.Server == server);
    }

    private static readonly BenchHttpServerKind[] FileServers = [BenchHttpServerKind.RxTcp, BenchHttpServerKind.RxTcpOffload, BenchHttpServerKind.Nginx];
    private static readonly BenchHttpServerKind[] KestrelServers = [BenchHttpServerKind.KestrelRxTcp, BenchHttpServerKind.KestrelSockets];

    /// <summary>Throws a <see cref="TunException"/> with advice when the bench cannot run here at all.</summary>
    public static void CheckPrerequisites()
    {
        if (!OperatingSystem.IsLinux()) throw new TunException("needs Linux (TUN devices, network namespaces).");
        if (!Environment.IsPrivilegedProcess)
            throw new TunException("needs root: it creates network namespaces, TUN devices and veth pairs inside them, and starts nginx (run it with sudo).");
        if (!File.Exists("/dev/net/tun")) throw new TunException("/dev/net/tun is missing: load the tun module (modprobe tun).");
    }

    /// <summary>Runs every load on every server, <see cref="Settings.Runs"/> times, and gathers the samples.</summary>
    public static Report Measure(Settings settings, Action<string> progress, CancellationToken cancel)
    {
        var report = new Report { Settings = settings };
        foreach (var tool in new[] { "wrk", "ab", "curl", "nginx" })
        {
            if (Which(tool) is not null) continue;
            report.Missing.Add(tool);
            progress($"{tool} is missing, so its rows are skipped; install it with: apt-get install {BenchHttpLoadSettings.Package(tool)}");
        }
        var loads = Enum.GetValues<BenchHttpLoadKind>().Where(l => !report.Missing.Contains(BenchHttpLoadSettings.Tool(l))).ToArray();
        var servers = FileServers.Where(s => s != BenchHttpServerKind.Nginx || !report.Missing.Contains("nginx")).ToArray();
        bool kestrel = settings.Kestrel && loads.Contains(BenchHttpLoadKind.KeepAlive);

        // wrk with a thousand connections, nginx and the servers inherit this limit.
        BenchMemory.RaiseOpenFileLimit(65536);
        var work = Directory.CreateTempSubdirectory("rxb-http-");
        try
        {
            var files = Directory.CreateDirectory(Path.Combine(work.FullName, "files")).FullName;
            File.WriteAllBytes(Path.Combine(files, "1k.bin"), RandomNumberGenerator.GetBytes(1024));
            WriteRandomFile(Path.Combine(files, "big.bin"), settings.Loads.DownloadBytes);

            for (int run = 1; run <= settings.Runs; run++)
            {
                foreach (var load in loads)
                {
                    var turn = load == BenchHttpLoadKind.KeepAlive && kestrel ? servers.Concat(KestrelServers) : servers;
                    foreach (var server in turn)
                    {
                        cancel.ThrowIfCancellationRequested();
                        var of = settings.Runs > 1 ? string.Create(CultureInfo.InvariantCulture, $" (run {run} of {settings.Runs})") : "";
                        progress($"{Name(server)}: {settings.Loads.Describe(load)}{of} ...");
                        var sample = MeasureOne(server, load, settings, files, work.FullName, cancel);
                        progress("  " + Summary(sample));
                        var cell = report.Find(load, server);
                        if (cell is null) report.Cells.Add(cell = new Cell(load, server));
                        cell.Samples.Add(sample);
                    }
                }
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
        report.Notes.Add("Each server starts afresh for each load (after a 1 s wrk warm-up with 4 connections) in fresh network namespaces and is stopped after it; "
            + "the load tools run in the client namespace at 192.0.2.1. RxTcp: rxtcp serve on a TUN device in that namespace (MTU 1500, txqueuelen "
            + TunSettings.DefaultTxQueueLength.ToString(CultureInfo.InvariantCulture)
            + (settings.Queues > 1 ? string.Create(CultureInfo.InvariantCulture, $", {settings.Queues} queues with a stack each") : ", one queue, one stack")
            + "); nginx and Kestrel on sockets: a second namespace across a veth pair (MTU 1500, the veth's TSO/GSO on as by default). "
            + "nginx: worker_processes auto, sendfile, tcp_nopush, tcp_nodelay, keepalive_requests 1000000. Kestrel: the same static-files application on both transports; its RxTcp stack has NoDelay, as Kestrel's socket transport sets it.");
        report.Notes.Add("Peak RSS: the server's resident-memory high-water mark over its lifetime (VmHWM; nginx: master and workers added up). "
            + "Errors: non-2xx answers plus socket errors and time-outs as the tool counts them, and requests ab never completed; added up over the runs.");
        report.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"Load average at the end: {LoadAverage()} on {Environment.ProcessorCount} CPUs."));
        return report;
    }

    private static BenchHttpSample MeasureOne(BenchHttpServerKind kind, BenchHttpLoadKind load, Settings settings, string files, string scratch, CancellationToken cancel)
    {
        BenchHttpServer server;
        try
        {
            server = BenchHttpServer.Start(kind, files, scratch, settings.Queues, cancel);
        }
        catch (Exception e) when (e is TunException or TimeoutException or IOException)
        {
            return new BenchHttpSample { Problem = "could not start: " + e.Message, SocketErrors = 1 };
        }
        using (server)
        {
            BenchHttpLoadSettings.WarmUp(server, cancel);
            var sample = settings.Loads.Run(load, server, cancel);
            sample.PeakRssBytes = server.PeakRssBytes();
            sample.DeviceDrops = server.DeviceDrops();
            return sample;
        }
    }

    /// <summary>Where the load tools are installed (same lookup as a shell), or null.</summary>
    public static string? Which(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var dir in path.Split(':').Concat(["/usr/sbin", "/sbin", "/usr/bin"]))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static string Name(BenchHttpServerKind server) => server switch
    {
        BenchHttpServerKind.RxTcp => "RxTcp",
        BenchHttpServerKind.RxTcpOffload => "RxTcp offload",
        BenchHttpServerKind.Nginx => "nginx",
        BenchHttpServerKind.KestrelRxTcp => "Kestrel on RxTcp",
        _ => "Kestrel on sockets",
    };

    public static string JsonName(BenchHttpServerKind server) => server switch
    {
        BenchHttpServerKind.RxTcp => "rxtcp",
        BenchHttpServerKind.RxTcpOffload => "rxtcpOffload",
        BenchHttpServerKind.Nginx => "nginx",
        BenchHttpServerKind.KestrelRxTcp => "kestrelRxtcp",
        _ => "kestrelSockets",
    };

    public static string JsonName(BenchHttpLoadKind load) => load switch
    {
        BenchHttpLoadKind.KeepAlive => "keepAlive",
        BenchHttpLoadKind.NewConnections => "newConnections",
        BenchHttpLoadKind.ManyConnections => "manyConnections",
        _ => "download",
    };

    private static string Summary(BenchHttpSample s)
    {
        var text = new StringBuilder();
        text.Append(double.IsFinite(s.Gbit)
            ? string.Create(CultureInfo.InvariantCulture, $"{s.Gbit:F2} Gbit/s")
            : string.Create(CultureInfo.InvariantCulture, $"{s.RequestsPerSecond:N0} req/s"));
        if (double.IsFinite(s.P50Ms)) text.Append(CultureInfo.InvariantCulture, $", p50 {s.P50Ms:0.##} ms, p99 {s.P99Ms:0.##} ms");
        text.Append(CultureInfo.InvariantCulture, $", errors {s.Errors}, peak RSS {s.PeakRssBytes / 1048576.0:0} MiB");
        if (s.DeviceDrops is { } d) text.Append(CultureInfo.InvariantCulture, $", TUN queue drops {d}");
        if (s.Problem is { } p) text.Append("; ").Append(p);
        return text.ToString();
    }

    private static void WriteRandomFile(string path, long size)
    {
        using var file = File.Create(path);
        var chunk = new byte[1024 * 1024];
        for (long left = size; left > 0; left -= chunk.Length)
        {
            RandomNumberGenerator.Fill(chunk);
            file.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
