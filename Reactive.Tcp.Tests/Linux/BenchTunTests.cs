using System.Diagnostics;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// <c>rxtcp bench tun</c> run as the user runs it (the built <c>rxtcp.dll</c> in a child process):
/// both figures come out, the JSON has its fields, nothing it created is left behind, also after
/// Ctrl-C, and without root it says why it cannot run. Figures are printed, never asserted on.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public class BenchTunTests(ITestOutputHelper output)
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "rxtcp.dll");

    [LinuxRootFact]
    public void Json_output_has_both_positive_figures_and_the_ratio_and_leaves_no_namespace()
    {
        var before = BenchNamespaces();
        var (code, stdout, stderr) = RunCli(TimeSpan.FromMinutes(3), "bench", "tun", "--bytes", "4M", "--offload", "both", "--json");
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.True(code == 0, $"exit {code}: {stderr}");

        using var json = JsonDocument.Parse(stdout.Trim());
        var root = json.RootElement;
        Assert.Equal("tun", root.GetProperty("mode").GetString());
        Assert.Equal("Gbit/s", root.GetProperty("unit").GetString());
        double rxtcp = root.GetProperty("rxtcp").GetDouble();
        double kernel = root.GetProperty("kernel").GetDouble();
        Assert.True(rxtcp > 0, stdout);
        Assert.True(kernel > 0, stdout);
        Assert.Equal(rxtcp / kernel, root.GetProperty("ratio").GetDouble(), 3);
        Assert.True(root.GetProperty("details").GetProperty("rxtcpWithoutOffload").GetProperty("value").GetDouble() > 0, stdout);
        Assert.Empty(BenchNamespaces().Except(before));
    }

    [LinuxRootFact]
    public void Text_output_prints_both_figures()
    {
        var (code, stdout, stderr) = RunCli(TimeSpan.FromMinutes(3), "bench", "tun", "-b", "4M", "--offload", "off");
        output.WriteLine(stdout);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        var lines = stdout.Split('\n');
        Assert.Contains(lines, l => l.TrimStart().StartsWith("RxTcp", StringComparison.Ordinal) && l.Contains("Gbit/s"));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("kernel", StringComparison.Ordinal) && l.Contains("Gbit/s"));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("ratio", StringComparison.Ordinal));
    }

    [LinuxRootFact]
    public void Ctrl_C_mid_run_removes_the_namespaces_it_made()
    {
        var before = BenchNamespaces();
        var info = Start("bench", "tun", "-b", "64G", "--offload", "off");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            // Wait for the run to be under way: its namespace exists and the upload has started.
            var watch = Stopwatch.StartNew();
            while (!BenchNamespaces().Except(before).Any() && watch.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(100);
            Assert.NotEmpty(BenchNamespaces().Except(before));
            Thread.Sleep(2000);
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
    }

    [LinuxRootFact]
    public void Without_root_it_says_it_needs_root()
    {
        // The same command as nobody (setpriv drops root), with a home the runtime may write to.
        var home = Directory.CreateTempSubdirectory("rxt-bench-nobody-");
        try
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(home.FullName, (UnixFileMode)0x1FF);
            var info = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "env", $"HOME={home.FullName}",
                $"DOTNET_CLI_HOME={home.FullName}", Dotnet(), Cli, "bench", "tun", "-b", "1M"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)));
            output.WriteLine(stderr);
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("needs root", stderr);
            Assert.Equal("", stdout.Result);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    private static string[] BenchNamespaces() =>
        Directory.Exists("/run/netns") ? Directory.GetFiles("/run/netns", "rxtb-*").Select(p => Path.GetFileName(p)).ToArray() : [];

    private static string Dotnet() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static ProcessStartInfo Start(params string[] arguments) =>
        new(Dotnet(), [Cli, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };

    private static (int Code, string Stdout, string Stderr) RunCli(TimeSpan limit, params string[] arguments)
    {
        using var process = Process.Start(Start(arguments))!;
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
