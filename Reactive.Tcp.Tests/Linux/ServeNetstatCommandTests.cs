using System.Diagnostics;
using System.Text.RegularExpressions;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Tests.Integration;
using RxTcp.Cli;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// <c>rxtcp serve http --netstat</c> run as the real command (the built <c>rxtcp</c> program, its own
/// process) inside a fresh network namespace, with the kernel's curl as the client: the table it
/// prints must show the connection being added, reaching ESTABLISHED and being removed with why.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public sealed partial class ServeNetstatCommandTests(ITestOutputHelper output)
{
    private const string StackAddress = "198.51.100.2";
    private const string KernelAddress = "198.51.100.1";

    [LinuxRootFact]
    public void Serve_netstat_prints_a_curl_connection_from_accept_to_its_graceful_close()
    {
        var program = Path.Combine(AppContext.BaseDirectory, "rxtcp.dll");
        Assert.True(File.Exists(program), $"{program} is missing: the test project builds RxTcp.Cli next to itself");
        using var ns = NetworkNamespace.Create("rxnst");
        using var serve = ns.Start(ToolRunner.Dotnet, program, "serve", "http", "--tun", "rxnst0",
            "--ip", StackAddress, "--peer", KernelAddress, "--netstat");
        WaitFor(serve, s => s.Contains("SIGTERM stops it.", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        var curl = ns.Run(TimeSpan.FromSeconds(30), "curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{http_code}", $"http://{StackAddress}/");
        Assert.True(curl.Succeeded, curl + "\n" + serve.Output);
        Assert.Equal("200", curl.StandardOutput.Trim());
        // curl closes first, so the stack answers its FIN, sends its own and is gone once that is ACKed.
        WaitFor(serve, s => RemovedRow().IsMatch(s), TimeSpan.FromSeconds(20));

        serve.Dispose(); // SIGTERM: the command stops and removes its device
        var printed = serve.Output;
        output.WriteLine(printed);
        var rows = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => Regex.IsMatch(l, @"^\d\d:\d\d:\d\d\.\d{3} [+~-] ")).ToList();
        Assert.Contains(NetstatPrinter.Header, printed, StringComparison.Ordinal);
        string connection = $@"{Regex.Escape(StackAddress)}:80 +{Regex.Escape(KernelAddress)}:(\d+) ";
        var added = rows.Select(r => Regex.Match(r, $@"^\S+ \+ {connection}+SYN-RECEIVED .* accepted$")).Single(m => m.Success);
        string port = added.Groups[1].Value;
        string same = $@"{Regex.Escape(StackAddress)}:80 +{Regex.Escape(KernelAddress)}:{port} ";
        Assert.Contains(rows, r => Regex.IsMatch(r, $@"^\S+ ~ {same}+ESTABLISHED "));
        var removed = Assert.Single(rows, r => Regex.IsMatch(r, $@"^\S+ - {same}"));
        Assert.Matches(@" closed: graceful$", removed);
        // Added before established before removed, in the order printed.
        int addedAt = rows.FindIndex(r => r.Contains(" + ", StringComparison.Ordinal));
        int establishedAt = rows.FindIndex(r => r.Contains(" ~ ", StringComparison.Ordinal) && r.Contains("ESTABLISHED", StringComparison.Ordinal));
        Assert.True(addedAt < establishedAt && establishedAt < rows.IndexOf(removed), string.Join("\n", rows));
        Assert.Contains("stopped; 1 connections served", printed, StringComparison.Ordinal);
        Assert.False(ns.Run("ip", "link", "show", "rxnst0").Succeeded, "the command left its device behind");
    }

    private static void WaitFor(NamespaceProcess process, Func<string, bool> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (!condition(process.Output))
        {
            Assert.False(process.HasExited, $"{process} ended early (exit {(process.HasExited ? process.ExitCode : 0)}):\n{process.Output}");
            Assert.True(watch.Elapsed < limit, $"{process}: not seen within {limit}:\n{process.Output}");
            Thread.Sleep(50);
        }
    }

    [GeneratedRegex(@"\n\S+ - \S+:80 .*closed: ")]
    private static partial Regex RemovedRow();
}
