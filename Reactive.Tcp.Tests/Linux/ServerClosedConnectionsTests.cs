using System.Text.RegularExpressions;
using RxTcp.Cli.Apps;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// ApacheBench from the kernel against the http app on one stack over TUN, a new connection per
/// request (no keep-alive: ab speaks HTTP/1.0, so the server answers and closes, and every
/// connection leaves a TIME-WAIT on the stack's side). Every request must succeed.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public sealed class ServerClosedConnectionsTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>
    /// More than the stack's 4,096-connection limit: every one leaves a TIME-WAIT behind, which
    /// used to count against that limit (the stack stopped answering SYNs at about 4,100).
    /// </summary>
    private const int Connections = 6000;

    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("rxt-ab-");

    public void Dispose() => _files.Delete(recursive: true);

    [LinuxRootFact]
    public async Task Thousands_of_server_closed_connections_from_ab_all_succeed()
    {
        Interop.EnsureTool("ab", "apache2-utils");
        File.WriteAllBytes(Path.Combine(_files.FullName, "1k.bin"), Interop.RandomBytes(1024, seed: 7));
        using var rig = new TunInterop();
        var app = new HttpApp(_files.FullName);
        using var service = new TcpService(rig.Stack, HttpApp.DefaultPort, app.Serve);

        var run = await Task.Run(() => rig.Namespace.Run(TimeSpan.FromMinutes(5),
            "ab", "-n", Connections.ToString(), "-c", "32", "-s", "30", $"http://{TunInterop.StackAddress}/1k.bin"));
        var report = run.StandardOutput;
        output.WriteLine(report);
        output.WriteLine(run.StandardError);
        output.WriteLine($"{rig.Diagnostics()}; {rig.Link.ReadDeviceCounters()}");

        Assert.True(run.Succeeded, $"ab exited with {run.ExitCode}: {run.StandardError} {rig.Diagnostics()}");
        Assert.Equal(Connections, Field(report, "Complete requests"));
        Assert.Equal(0, Field(report, "Failed requests"));
        Assert.DoesNotContain("Non-2xx responses", report);
        Assert.Equal(Connections, app.Requests);
        // ab opens a few connections more than it uses (up to its concurrency, and closes them unused).
        Assert.InRange(service.Accepted, Connections, Connections + 32);
    }

    private static long Field(string report, string name)
    {
        var match = Regex.Match(report, $@"^{Regex.Escape(name)}:\s+(\d+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"'{name}' is not in ab's report: {report}");
        return long.Parse(match.Groups[1].Value);
    }
}
