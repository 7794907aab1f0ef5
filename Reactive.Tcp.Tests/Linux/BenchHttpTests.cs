using System.Diagnostics;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// <c>rxtcp bench http</c> run as the user runs it (the built <c>rxtcp.dll</c> in a child process),
/// with tiny loads: every server answers every load without an error, the table has its rows, the
/// JSON its figures, and no namespace or server process is left behind, also after Ctrl-C.
/// Figures are printed, never asserted on beyond being there.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public class BenchHttpTests(ITestOutputHelper output)
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "rxtcp.dll");
    private static readonly string[] Loads = ["keepAlive", "newConnections", "manyConnections", "download"];

    [LinuxRootFact]
    public void Every_server_answers_every_load_without_errors_and_the_table_has_its_rows()
    {
        Interop.EnsureTool("wrk", "wrk");
        Interop.EnsureTool("ab", "apache2-utils");
        Interop.EnsureTool("nginx", "nginx-light");
        var before = BenchNamespaces();
        var json = Path.Combine(Path.GetTempPath(), $"rxb-http-test-{Guid.NewGuid():N}.json");
        try
        {
            var (code, stdout, stderr) = RunCli(TimeSpan.FromMinutes(10), "bench", "http", "--runs", "1", "--seconds", "1",
                "--requests", "300", "--many", "300", "--download", "4M", "--json-file", json);
            output.WriteLine(stdout);
            output.WriteLine(stderr);
            Assert.True(code == 0, $"exit {code}: {stderr}");

            var lines = stdout.Split('\n');
            foreach (var title in new[] { "keep-alive, 64 connections", "new connection per request", "keep-alive, 300 connections", "4.0 MiB download", "Kestrel, keep-alive" })
                Assert.Contains(lines, l => l.Contains(title, StringComparison.Ordinal));
            foreach (var row in new[] { "requests/s", "latency p50", "latency p99", "errors", "peak RSS", "Gbit/s" })
                Assert.Contains(lines, l => l.TrimStart().StartsWith(row, StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("RxTcp offload") && l.Contains("nginx") && l.Contains("RxTcp/nginx"));

            using var document = JsonDocument.Parse(File.ReadAllText(json));
            var root = document.RootElement;
            Assert.Equal("http", root.GetProperty("mode").GetString());
            Assert.Empty(root.GetProperty("missing").EnumerateArray());
            var loads = root.GetProperty("loads").EnumerateArray().ToDictionary(l => l.GetProperty("load").GetString()!);
            Assert.Equal(Loads.Order(), loads.Keys.Order());
            foreach (var (name, load) in loads)
            {
                var servers = load.GetProperty("servers");
                string[] expected = name == "keepAlive"
                    ? ["rxtcp", "rxtcpOffload", "nginx", "kestrelRxtcp", "kestrelSockets"]
                    : ["rxtcp", "rxtcpOffload", "nginx"];
                foreach (var server in expected)
                {
                    var figures = servers.GetProperty(server);
                    var rate = figures.GetProperty(name == "download" ? "gbitPerSecond" : "requestsPerSecond");
                    Assert.True(rate.ValueKind == JsonValueKind.Number && rate.GetDouble() > 0, $"{server}, {name}: no rate: {figures}");
                    Assert.True(figures.GetProperty("errors").GetDouble() == 0, $"{server}, {name}: errors: {figures}");
                    Assert.True(figures.GetProperty("requests").GetInt64() > 0, $"{server}, {name}: {figures}");
                    Assert.True(figures.GetProperty("peakRssBytes").GetDouble() > 0, $"{server}, {name}: no peak memory: {figures}");
                    Assert.Empty(figures.GetProperty("problems").EnumerateArray());
                }
            }
            Assert.Empty(BenchNamespaces().Except(before));
        }
        finally
        {
            File.Delete(json);
        }
    }

    [LinuxRootFact]
    public void Ctrl_C_mid_run_stops_the_servers_and_removes_the_namespaces()
    {
        Interop.EnsureTool("wrk", "wrk");
        var before = BenchNamespaces();
        using var process = Process.Start(new ProcessStartInfo(Dotnet(), [Cli, "bench", "http", "--runs", "1", "--seconds", "600", "--no-kestrel"])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        (int Pid, long? Start)[] servers = [];
        try
        {
            // Under way: its namespace exists and the first server answers under wrk.
            var watch = Stopwatch.StartNew();
            while (!BenchNamespaces().Except(before).Any() && watch.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(100);
            Assert.NotEmpty(BenchNamespaces().Except(before));
            Thread.Sleep(5000);
            servers = Descendants(process.Id).Select(pid => (pid, StartTime(pid))).ToArray();
            Assert.Equal(0, Tmds.Linux.LibC.kill(process.Id, Tmds.Linux.LibC.SIGINT));
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "the bench did not stop after SIGINT");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true); // our own child, by PID
        }
        output.WriteLine(stderr.Result);
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("interrupted", stderr.Result);
        Assert.Empty(BenchNamespaces().Except(before));
        output.WriteLine($"child processes while it ran: {string.Join(", ", servers.Select(s => s.Pid))}");
        Assert.NotEmpty(servers);
        // Each one is gone (or a zombie awaiting its reaper), unless its number now belongs to another process.
        Assert.All(servers, s => Assert.True(s.Start is null || StartTime(s.Pid) != s.Start, $"process {s.Pid} outlived the bench"));
    }

    /// <summary>The process's start time (clock ticks since boot), to tell it from a later one with the same number; null when gone or a zombie.</summary>
    private static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? null : long.Parse(fields[19]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int[] Descendants(int pid)
    {
        var found = new List<int>();
        var pending = new Stack<int>([pid]);
        while (pending.Count > 0)
        {
            int parent = pending.Pop();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int id)) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]) != parent) continue;
                }
                catch (IOException)
                {
                    continue;
                }
                found.Add(id);
                pending.Push(id);
            }
        }
        return found.ToArray();
    }

    private static string[] BenchNamespaces() =>
        Directory.Exists("/run/netns") ? Directory.GetFiles("/run/netns", "rxb-http-*").Select(p => Path.GetFileName(p)).ToArray() : [];

    private static string Dotnet() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static (int Code, string Stdout, string Stderr) RunCli(TimeSpan limit, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(Dotnet(), [Cli, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true); // our own child, by PID
            process.WaitForExit();
        }
        process.WaitForExit();
        return (process.HasExited ? process.ExitCode : -1, stdout.Result, stderr.Result);
    }
}
