using System.Diagnostics;
using System.Globalization;
using System.Text;
using Reactive.Tcp.Tests.Linux;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>
/// Generates <c>CONFORMANCE.md</c> at the repository root: every marble scenario against RxTcp and
/// against the Linux kernel, with the reason for each divergence. Runs only when asked:
/// <code>sudo RXTCP_CONFORMANCE=1 dotnet test Reactive.Tcp.Tests --filter "FullyQualifiedName~ConformanceTable"</code>
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public sealed class ConformanceTableTests(ITestOutputHelper output)
{
    /// <summary>Environment variable that turns the table generation on.</summary>
    public const string Switch = "RXTCP_CONFORMANCE";

    [ConformanceTableFact]
    public void Write_CONFORMANCE_md()
    {
        var watch = Stopwatch.StartNew();
        var files = Conformance.Files().ToList();
        var results = new ConformanceResult[files.Count];
        // Every Linux run has its own namespace and mostly sleeps in real time, so they can overlap; long ones start first.
        var order = Enumerable.Range(0, files.Count).OrderByDescending(i => Marbles.MarbleParser.Parse(File.ReadAllText(Conformance.Path(files[i])), files[i]).EndTime).ToList();
        Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
        {
            try
            {
                results[i] = Conformance.RunBoth(files[i]);
            }
            catch (Exception ex)
            {
                results[i] = new ConformanceResult(files[i], "", false, LinuxVerdict.Diverges, "", [$"the runner failed: {ex.GetType().Name}: {ex.Message}"], "", "", ex.ToString(), [], TimeSpan.Zero);
            }
        });
        // Runs that could not keep real time (a busy machine) get another chance, one at a time.
        for (int i = 0; i < results.Length; i++)
        {
            if (!results[i].Differences.Any(d => d.StartsWith(LinuxMarbleRunner.TooBusy, StringComparison.Ordinal))) continue;
            if (results[i].Duration > TimeSpan.FromSeconds(60)) continue; // not worth replaying
            results[i] = Conformance.RunBoth(files[i]);
        }
        watch.Stop();

        var markdown = Render(results, watch.Elapsed);
        if (File.Exists(FlagMatrixTable.FilePath))
        {
            // The flag matrix has its own generator (FlagMatrixTests); its committed section is kept.
            var (cells, kernel) = FlagMatrixTable.Parse(File.ReadAllText(FlagMatrixTable.FilePath));
            markdown = FlagMatrixTable.Splice(markdown, FlagMatrixTable.Render(cells, kernel));
        }
        var path = Path.Combine(RepositoryRoot(), "CONFORMANCE.md");
        File.WriteAllText(path, markdown);
        output.WriteLine($"wrote {path} in {watch.Elapsed.TotalSeconds:0} s");
        foreach (var r in results) output.WriteLine($"{r.Scenario}: RxTcp {(r.RxTcpPassed ? "pass" : "FAIL")}, Linux {r.Linux} {r.LinuxLane}");
        var unexplained = results.Where(r => r.Linux == LinuxVerdict.Diverges && ConformanceNotes.Explain(r.Scenario) is null).Select(r => r.Scenario).ToList();
        foreach (var r in results.Where(r => r.Linux == LinuxVerdict.Diverges)) output.WriteLine(r.Report);
        Assert.True(unexplained.Count == 0, "divergences without an explanation in ConformanceNotes: " + string.Join(", ", unexplained));
    }

    internal static string Render(IReadOnlyList<ConformanceResult> results, TimeSpan took)
    {
        var sb = new StringBuilder();
        int rxPass = results.Count(r => r.RxTcpPassed);
        int linuxRun = results.Count(r => r.Linux is LinuxVerdict.Pass or LinuxVerdict.Diverges);
        int linuxPass = results.Count(r => r.Linux == LinuxVerdict.Pass);
        int diverges = results.Count(r => r.Linux == LinuxVerdict.Diverges);
        int na = results.Count(r => r.Linux == LinuxVerdict.NotApplicable);
        int notRun = results.Count(r => r.Linux == LinuxVerdict.NotRun);
        string kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : Environment.OSVersion.VersionString;

        sb.AppendLine("# Conformance: RxTcp and the Linux kernel on the same marble scenarios");
        sb.AppendLine();
        sb.AppendLine("<!-- Generated; do not edit by hand. Regenerate (as root, on Linux with /dev/net/tun):");
        sb.AppendLine("     RXTCP_CONFORMANCE=1 dotnet test Reactive.Tcp.Tests --filter \"FullyQualifiedName~ConformanceTable\"");
        sb.AppendLine("     Explanations live in Reactive.Tcp.Tests/Conformance/ConformanceNotes.cs. -->");
        sb.AppendLine();
        sb.AppendLine("Every scenario in `marbles/` is played against RxTcp (the marble runner, virtual time) and against");
        sb.AppendLine("the Linux kernel: the runner acts as the remote peer, as packetdrill does, writing the `in:` lane");
        sb.AppendLine("into a TUN device in a fresh network namespace where the kernel owns the scenario's `local:`");
        sb.AppendLine("address, turning the `app:` lane into socket calls made inside the namespace, and recording what the");
        sb.AppendLine("kernel sends back. Then the kernel's segments are compared with the `out:` lane.");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine("sudo RXTCP_CONFORMANCE=1 dotnet test Reactive.Tcp.Tests --filter \"FullyQualifiedName~ConformanceTable\"");
        sb.AppendLine("# RXTCP_CONFORMANCE_MAX_SECONDS=N skips Linux runs longer than N s of real time (default 400)");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.Append("**Totals** (").Append(results.Count).Append(" scenarios, Linux ").Append(kernel).Append(", generated in ")
            .Append(took.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)).AppendLine(" s):");
        sb.AppendLine();
        sb.Append("- RxTcp: **").Append(rxPass).Append('/').Append(results.Count).AppendLine("** pass.");
        sb.Append("- Linux: **").Append(linuxPass).Append('/').Append(linuxRun).Append("** of the scenarios it runs pass; ")
            .Append(diverges).Append(" diverge (each explained below); ").Append(na).Append(" n/a for Linux")
            .Append(notRun > 0 ? $"; {notRun} not run (too long in real time)" : "").AppendLine(".");
        sb.AppendLine();

        sb.AppendLine("| Scenario | RxTcp | Linux | Why Linux differs / notes |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var r in results)
        {
            string linux = r.Linux switch
            {
                LinuxVerdict.Pass => "pass",
                LinuxVerdict.Diverges => "**diverges**",
                LinuxVerdict.NotApplicable => "n/a",
                _ => "not run",
            };
            string note = r.Linux switch
            {
                LinuxVerdict.Diverges => ConformanceNotes.Explain(r.Scenario) ?? "not yet explained: " + string.Join("; ", r.Differences.Take(2)),
                LinuxVerdict.NotApplicable => r.Detail,
                LinuxVerdict.NotRun => r.Detail,
                _ => "",
            };
            sb.Append("| `").Append(r.Scenario).Append("` | ").Append(r.RxTcpPassed ? "pass" : "**fail**").Append(" | ").Append(linux)
                .Append(" | ").Append(Cell(note)).AppendLine(" |");
        }
        sb.AppendLine();

        sb.AppendLine("## How the Linux side is run and compared");
        sb.AppendLine();
        sb.AppendLine("- **Setup.** `ip netns add rxt-xxxxxxxx`; TUN `rxt0` opened inside it with the kernel's address = the scenario's");
        sb.AppendLine("  `local:` and the point-to-point peer = `remote:`; IPv6 off on the device; `ip route replace REMOTE dev rxt0 ...`");
        sb.AppendLine("  carries per-route settings. Only documentation addresses are used (the scenarios' 192.0.2.0/24); nothing");
        sb.AppendLine("  is routed out of the namespace, which is deleted afterwards.");
        sb.AppendLine("- **App lane → sockets** (created on a thread that did `setns` into the namespace): `L` = bind + listen +");
        sb.AppendLine("  accept; `C` = bind to `local:` + connect; `send` = `send()`; `c` = `shutdown(SHUT_WR)` (the application keeps");
        sb.AppendLine("  reading, like RxTcp's `Close()`); `x` = `SO_LINGER {1, 0}` + `close()` (RST), or closing a pending connect;");
        sb.AppendLine("  `l` = close the listener; `r`/`p` = start/stop the reader (stopped, the kernel's receive buffer fills).");
        sb.AppendLine("- **Config → kernel.** `wscale`/`sack`/`ts` → `net.ipv4.tcp_window_scaling`/`tcp_sack`/`tcp_timestamps`;");
        sb.AppendLine("  `retries` → `tcp_retries2`; `synretries` → `TCP_SYNCNT` and `tcp_synack_retries`; `dupack` → `tcp_reordering`;");
        sb.AppendLine("  `minrto` → route `rto_min`; `cwnd` → route `initcwnd`; `delack=0` → route `quickack 1`; `mss` → `TCP_MAXSEG`;");
        sb.AppendLine("  `mtu` → device MTU; `rcvbuf`/`sndbuf` → `SO_RCVBUF`/`SO_SNDBUF`; `nodelay` → `TCP_NODELAY`; `keepalive`/");
        sb.AppendLine("  `kainterval`/`kaprobes` → `SO_KEEPALIVE` + `TCP_KEEPIDLE`/`TCP_KEEPINTVL`/`TCP_KEEPCNT`; congestion control");
        sb.AppendLine("  CUBIC via `TCP_CONGESTION`; `ecn=on`/`accept`/`off` → `tcp_ecn` 1/2/0; `challengeacks` → `tcp_challenge_ack_limit`;");
        sb.AppendLine("  `syncookies=off` → `tcp_syncookies=0`, else 1, and `backlog=0` → `tcp_syncookies=2` (a cookie for every SYN:");
        sb.AppendLine("  Linux's `listen(0)` still queues one SYN); the backlog → `listen()`. A setting Linux has no knob for (fixed RTO,");
        sb.AppendLine("  initial RTO other than 1 s, `msl`, `peermss`, `cwnd=0`, `dupack=0`) or an injected ICMP error (the runner writes");
        sb.AppendLine("  only TCP to the device) makes the scenario **n/a for Linux**.");
        sb.AppendLine("- **Relative numbering.** Each SYN the kernel sends tells its ISN; its sequence numbers are shown and compared");
        sb.AppendLine("  relative to it (as if its ISN were the sequence number of the `out:` lane's first SYN, else the scenario's");
        sb.AppendLine("  `isn=`, default 1000; so a SYN cookie scenario's pinned cookie stands for the kernel's cookie), and the `ack` numbers and SACK");
        sb.AppendLine("  blocks of the injected segments are shifted into the kernel's numbering. Its TSval is lined up the same way");
        sb.AppendLine("  with the TSval of the `out:` lane's first SYN (or 0), and injected non-zero TSecr values are shifted to match.");
        sb.AppendLine("- **Wildcards for Linux.** In expected segments `win` (raw window field), the window-scale shift and TSval are");
        sb.AppendLine("  not compared: they come from the kernel's own buffer sizing and clock. Flags, `seq`, `ack`, payload, MSS,");
        sb.AppendLine("  which options are present, TSecr and SACK blocks are compared exactly.");
        sb.AppendLine("- **Timing.** Real time. A kernel segment matches an expected one when it is sent within a tolerance of the");
        sb.AppendLine("  expected frame: 20 ms, or 10 % of the time since the last scripted event if that is more (so a 1 s");
        sb.AppendLine("  retransmission may come 100 ms early or late). Anything else the kernel sends before the scenario's end is a");
        sb.AppendLine("  divergence.");
        sb.AppendLine("- **Not compared on Linux.** The `state:` lane, `drops:` and `retransmissions:` (RxTcp's internals). The final");
        sb.AppendLine("  `received:`, `eof:` and `error:` are compared: bytes read, `recv()` returning 0, and the socket error");
        sb.AppendLine("  (ECONNREFUSED → refused, ECONNRESET → reset, EPIPE (a RST in CLOSE-WAIT) → reset, ETIMEDOUT → timedout; `x` is");
        sb.AppendLine("  the application's own abort).");
        sb.AppendLine();

        var divergent = results.Where(r => r.Linux == LinuxVerdict.Diverges).ToList();
        if (divergent.Count > 0)
        {
            sb.AppendLine("## What Linux did where it diverges");
            sb.AppendLine();
            sb.AppendLine("The runner's report for each divergence: expected and kernel lanes on one time axis, the kernel's segments");
            sb.AppendLine("in relative numbering with the real times they were sent at.");
            sb.AppendLine();
            foreach (var r in divergent)
            {
                sb.Append("### `").Append(r.Scenario).AppendLine("`");
                sb.AppendLine();
                if (ConformanceNotes.Explain(r.Scenario) is { } why) sb.AppendLine(why).AppendLine();
                if (r.Approximations.Count > 0) sb.Append("Kernel settings that are approximations: ").Append(string.Join("; ", r.Approximations)).AppendLine(".").AppendLine();
                sb.AppendLine("```");
                sb.AppendLine(r.Report.TrimEnd());
                sb.AppendLine("```");
                sb.AppendLine();
            }
        }
        return sb.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RxTcp.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (RxTcp.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that runs only when <c>RXTCP_CONFORMANCE</c> is set, as root on Linux with /dev/net/tun.</summary>
public sealed class ConformanceTableFactAttribute : FactAttribute
{
    public ConformanceTableFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(ConformanceTableTests.Switch) is not { Length: > 0 } and not "0")
            Skip = $"Writes CONFORMANCE.md; set {ConformanceTableTests.Switch}=1 to run it (as root).";
        else if (LinuxRootFactAttribute.SkipReason() is { } reason)
            Skip = reason;
    }
}
