using System.Diagnostics;
using System.Globalization;
using Reactive.Tcp.Linux;

namespace RxTcp.Cli;

/// <summary>The loads of <c>rxtcp bench http</c>, in the order they run.</summary>
internal enum BenchHttpLoadKind
{
    /// <summary>wrk, keep-alive, 64 connections, a 1 KiB file.</summary>
    KeepAlive,

    /// <summary>ab without keep-alive: a new connection per request (the server closes it), 32 at a time.</summary>
    NewConnections,

    /// <summary>wrk, keep-alive, 1,000 connections (or <c>--many</c>), a 1 KiB file.</summary>
    ManyConnections,

    /// <summary>curl, the large file downloaded three times over one connection.</summary>
    Download,
}

/// <summary>How big each load is (the command's options).</summary>
internal sealed record BenchHttpLoadSettings(double Seconds, int AbRequests, int Many, long DownloadBytes)
{
    /// <summary>Downloads per measurement.</summary>
    public const int Downloads = 3;

    /// <summary>The tool each load needs.</summary>
    public static string Tool(BenchHttpLoadKind load) => load switch
    {
        BenchHttpLoadKind.NewConnections => "ab",
        BenchHttpLoadKind.Download => "curl",
        _ => "wrk",
    };

    /// <summary>The Debian package that has <paramref name="tool"/>.</summary>
    public static string Package(string tool) => tool switch
    {
        "ab" => "apache2-utils",
        "nginx" => "nginx-light",
        _ => tool,
    };

    /// <summary>A row label for the table.</summary>
    public string Describe(BenchHttpLoadKind load) => load switch
    {
        BenchHttpLoadKind.KeepAlive => "keep-alive, 64 connections, 1 KiB (wrk)",
        BenchHttpLoadKind.NewConnections => string.Create(CultureInfo.InvariantCulture, $"new connection per request, 32 at a time, {AbRequests:N0} requests, 1 KiB (ab)"),
        BenchHttpLoadKind.ManyConnections => string.Create(CultureInfo.InvariantCulture, $"keep-alive, {Many:N0} connections, 1 KiB (wrk)"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ByteSize.Format(DownloadBytes)} download, {Downloads} times over one connection (curl)"),
    };

    /// <summary>Runs <paramref name="load"/> against <paramref name="server"/> from its client namespace and reads the tool's report.</summary>
    public BenchHttpSample Run(BenchHttpLoadKind load, BenchHttpServer server, CancellationToken cancel)
    {
        var url = $"http://{BenchHttpServer.ServerAddress}/1k.bin";
        var seconds = Seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        var watch = Stopwatch.StartNew();
        switch (load)
        {
            case BenchHttpLoadKind.KeepAlive:
                return BenchHttpSample.FromWrk(Tool(server.Client, TimeSpan.FromSeconds(Seconds + 60), cancel,
                    "wrk", "-t2", "-c64", "-d" + seconds, "--latency", "--timeout", "10s", url));
            case BenchHttpLoadKind.ManyConnections:
                return BenchHttpSample.FromWrk(Tool(server.Client, TimeSpan.FromSeconds(Seconds + 60), cancel,
                    "wrk", "-t2", "-c" + Many.ToString(CultureInfo.InvariantCulture), "-d" + seconds, "--latency", "--timeout", "10s", url));
            case BenchHttpLoadKind.NewConnections:
                // -s 10: a request unanswered for 10 s ends the run, which then counts the rest as failed.
                var ab = Tool(server.Client, TimeSpan.FromSeconds(Math.Max(120, AbRequests / 50.0)), cancel,
                    "ab", "-n", AbRequests.ToString(CultureInfo.InvariantCulture), "-c", "32", "-s", "10", url);
                return BenchHttpSample.FromAb(ab, AbRequests, watch.Elapsed.TotalSeconds);
            default:
                var big = $"http://{BenchHttpServer.ServerAddress}/big.bin";
                var arguments = new List<string> { "curl", "-sS", "--max-time", "300", "-w", "%{http_code} %{size_download} %{time_total}\\n" };
                for (int i = 0; i < Downloads; i++) arguments.AddRange(["-o", "/dev/null", big]);
                return BenchHttpSample.FromCurl(Tool(server.Client, TimeSpan.FromSeconds(Downloads * 300 + 30), cancel, [.. arguments]), DownloadBytes, Downloads);
        }
    }

    /// <summary>A few seconds of light keep-alive load, so that the .NET servers have compiled their paths before the measurement.</summary>
    public static void WarmUp(BenchHttpServer server, CancellationToken cancel) =>
        Tool(server.Client, TimeSpan.FromSeconds(60), cancel, "wrk", "-t1", "-c4", "-d1s", $"http://{BenchHttpServer.ServerAddress}/1k.bin");

    /// <summary>
    /// Runs a tool in <paramref name="ns"/> and returns everything it printed; Ctrl-C or the limit
    /// stops it (by its PID).
    /// </summary>
    private static string Tool(NetworkNamespace ns, TimeSpan limit, CancellationToken cancel, params string[] command)
    {
        using var process = ns.Start(command);
        var watch = Stopwatch.StartNew();
        while (!process.WaitForExit(TimeSpan.FromMilliseconds(100)))
        {
            cancel.ThrowIfCancellationRequested();
            if (watch.Elapsed > limit) return process.Output + $"\n(stopped after {limit.TotalSeconds:0} s)";
        }
        return process.Output;
    }
}
