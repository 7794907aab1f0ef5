using System.Globalization;
using System.Text.RegularExpressions;

namespace RxTcp.Cli;

/// <summary>
/// What one load tool reported for one server in one run: rate, latency percentiles, failures, and
/// the server's peak memory, read by <c>rxtcp bench http</c> from wrk's, ab's or curl's output.
/// </summary>
internal sealed record BenchHttpSample
{
    /// <summary>Requests per second (for a download: bits per second of the body, see <see cref="Gbit"/>).</summary>
    public double RequestsPerSecond { get; init; }

    /// <summary>Requests that completed.</summary>
    public long Requests { get; init; }

    /// <summary>Median latency, milliseconds.</summary>
    public double P50Ms { get; init; } = double.NaN;

    /// <summary>99th-percentile latency, milliseconds.</summary>
    public double P99Ms { get; init; } = double.NaN;

    /// <summary>Answers that were not 2xx (or 3xx, as wrk counts them).</summary>
    public long Non2xx { get; init; }

    /// <summary>Failed connects, reads and writes, and requests the tool gave up on (time-outs, requests never made).</summary>
    public long SocketErrors { get; init; }

    /// <summary>Of <see cref="SocketErrors"/>, the time-outs.</summary>
    public long Timeouts { get; init; }

    /// <summary>Body throughput of a download, Gbit/s (NaN for request loads).</summary>
    public double Gbit { get; init; } = double.NaN;

    /// <summary>The server's peak resident memory (the high-water mark of its processes), bytes; 0 unknown.</summary>
    public long PeakRssBytes { get; set; }

    /// <summary>Packets the kernel dropped at the TUN device's queue towards the stack (RxTcp only).</summary>
    public long? DeviceDrops { get; set; }

    /// <summary>Why the tool's figures are missing or partial, if they are.</summary>
    public string? Problem { get; init; }

    /// <summary>Non-2xx answers and socket errors together.</summary>
    public long Errors => Non2xx + SocketErrors;

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Reads <c>wrk --latency</c>'s report.</summary>
    public static BenchHttpSample FromWrk(string report)
    {
        var rate = Number(report, @"^Requests/sec:\s+([\d.]+)");
        if (rate is null) return new BenchHttpSample { Problem = "wrk printed no result: " + Tail(report) };
        var errors = Regex.Match(report, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        long E(int g) => errors.Success ? long.Parse(errors.Groups[g].Value, C) : 0;
        return new BenchHttpSample
        {
            RequestsPerSecond = rate.Value,
            Requests = (long)(Number(report, @"^\s*(\d+) requests in") ?? 0),
            P50Ms = WrkLatency(report, "50%"),
            P99Ms = WrkLatency(report, "99%"),
            Non2xx = (long)(Number(report, @"Non-2xx or 3xx responses:\s+(\d+)") ?? 0),
            SocketErrors = E(1) + E(2) + E(3) + E(4),
            Timeouts = E(4),
        };
    }

    /// <summary>
    /// Reads ApacheBench's report (<paramref name="requested"/> requests asked for). When ab gives up
    /// (a request timed out) it prints only how many completed; the rest count as errors.
    /// </summary>
    public static BenchHttpSample FromAb(string report, long requested, double elapsedSeconds)
    {
        var rate = Number(report, @"^Requests per second:\s+([\d.]+)");
        if (rate is null)
        {
            var done = (long)(Number(report, @"Total of (\d+) requests completed") ?? 0);
            bool timedOut = report.Contains("timeout", StringComparison.OrdinalIgnoreCase) || report.Contains("70007", StringComparison.Ordinal);
            return new BenchHttpSample
            {
                RequestsPerSecond = elapsedSeconds > 0 ? done / elapsedSeconds : 0,
                Requests = done,
                SocketErrors = requested - done,
                Timeouts = timedOut ? requested - done : 0,
                Problem = $"ab stopped after {done} of {requested} requests: {Tail(report)}",
            };
        }
        long complete = (long)(Number(report, @"^Complete requests:\s+(\d+)") ?? 0);
        return new BenchHttpSample
        {
            RequestsPerSecond = rate.Value,
            Requests = complete,
            P50Ms = Number(report, @"^\s+50%\s+(\d+)") ?? double.NaN,
            P99Ms = Number(report, @"^\s+99%\s+(\d+)") ?? double.NaN,
            Non2xx = (long)(Number(report, @"^Non-2xx responses:\s+(\d+)") ?? 0),
            SocketErrors = (long)(Number(report, @"^Failed requests:\s+(\d+)") ?? 0) + (requested - complete),
        };
    }

    /// <summary>
    /// Reads curl's <c>-w '%{http_code} %{size_download} %{time_total}\n'</c> lines, one per
    /// download of <paramref name="size"/> bytes: the median download's rate and time.
    /// </summary>
    public static BenchHttpSample FromCurl(string report, long size, int asked)
    {
        var transfers = Regex.Matches(report, @"^(\d{3}) (\d+) ([\d.]+)$", RegexOptions.Multiline)
            .Select(m => (Code: int.Parse(m.Groups[1].Value, C), Bytes: long.Parse(m.Groups[2].Value, C), Seconds: double.Parse(m.Groups[3].Value, C)))
            .ToList();
        var good = transfers.Where(t => t.Code / 100 == 2 && t.Bytes == size && t.Seconds > 0).Select(t => t.Seconds).Order().ToArray();
        if (good.Length == 0) return new BenchHttpSample { SocketErrors = asked, Problem = "no complete download: " + Tail(report) };
        double median = good[good.Length / 2];
        return new BenchHttpSample
        {
            Requests = good.Length,
            RequestsPerSecond = 1 / median,
            Gbit = size * 8 / median / 1e9,
            P50Ms = median * 1000,
            P99Ms = good[^1] * 1000,
            Non2xx = transfers.Count(t => t.Code / 100 != 2),
            SocketErrors = asked - transfers.Count + transfers.Count(t => t.Code / 100 == 2 && t.Bytes != size),
        };
    }

    private static double WrkLatency(string report, string percentile)
    {
        var m = Regex.Match(report, $@"^\s+{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline);
        if (!m.Success) return double.NaN;
        double value = double.Parse(m.Groups[1].Value, C);
        return m.Groups[2].Value switch
        {
            "us" => value / 1000,
            "ms" => value,
            "s" => value * 1000,
            _ => value * 60_000,
        };
    }

    private static double? Number(string text, string pattern)
    {
        var m = Regex.Match(text, pattern, RegexOptions.Multiline);
        return m.Success ? double.Parse(m.Groups[1].Value, C) : null;
    }

    private static string Tail(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" / ", lines.TakeLast(3));
    }
}
