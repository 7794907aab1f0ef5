using System.Diagnostics;
using Reactive.Tcp.Tests.Linux;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>
/// The flag matrix (<see cref="FlagMatrix"/>): RxTcp's side is checked on every run against the
/// committed <c>flag-matrix.tsv</c>, so a change of behaviour shows; the Linux side, and with it the
/// file and its section of <c>CONFORMANCE.md</c>, is regenerated only when asked, as root:
/// <code>sudo RXTCP_CONFORMANCE=1 dotnet test Reactive.Tcp.Tests --filter "FullyQualifiedName~FlagMatrix"</code>
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public sealed class FlagMatrixTests(ITestOutputHelper output)
{
    /// <summary>Prefix of the namespaces the Linux runs create.</summary>
    private const string NamespacePrefix = "rxc-flag";

    [Fact]
    public void RxTcp_reacts_to_every_probe_as_the_committed_matrix_says()
    {
        var (committed, _) = FlagMatrixTable.Parse(File.ReadAllText(FlagMatrixTable.FilePath));
        var actual = RunRxTcp();
        Assert.Equal(FlagMatrix.Starts.Count * FlagMatrix.Combinations.Count, committed.Count);

        var problems = actual.Where(c => c.RxTcp.Problem is not null).Select(c => $"{c.State} {c.Probe}: {c.RxTcp.Problem}").ToList();
        Assert.True(problems.Count == 0, "the matrix's runs went wrong on RxTcp:\n" + string.Join("\n", problems));

        var expected = committed.ToDictionary(c => (c.State, c.Flags), c => c.RxTcp.ToString());
        var changed = actual.Where(c => expected[(c.State, c.Flags)] != c.RxTcp.ToString())
            .Select(c => $"{c.State} {c.Probe}:\n    committed: {expected[(c.State, c.Flags)]}\n    now:       {c.RxTcp}")
            .ToList();
        Assert.True(changed.Count == 0,
            $"RxTcp reacts to {changed.Count} probe(s) of the flag matrix otherwise than {FlagMatrixTable.FileName} says. If the change is "
            + "meant (check it against RFC 9293 / 5961), regenerate the matrix with Linux beside it, as root:\n"
            + "  RXTCP_CONFORMANCE=1 dotnet test Reactive.Tcp.Tests --filter \"FullyQualifiedName~FlagMatrix\"\n"
            + string.Join("\n", changed.Take(30)));
    }

    [Fact]
    public void CONFORMANCE_md_shows_the_committed_matrix()
    {
        var (cells, kernel) = FlagMatrixTable.Parse(File.ReadAllText(FlagMatrixTable.FilePath));
        var document = File.ReadAllText(Path.Combine(ConformanceTableTests.RepositoryRoot(), "CONFORMANCE.md"));
        Assert.Equal(FlagMatrixTable.Render(cells, kernel), FlagMatrixTable.Section(document));
    }

    [Fact]
    public void Every_cell_is_a_scenario_whose_probe_has_its_flags_and_in_window_numbers()
    {
        foreach (var start in FlagMatrix.Starts)
        {
            foreach (var flags in FlagMatrix.Combinations)
            {
                var sc = FlagMatrix.Scenario(start, flags);
                var probe = sc.In.Events.Single(e => e.Time == FlagMatrix.ProbeTime);
                var segment = sc.Segments[probe.Symbols.Single()].Build(sc.RemotePort, sc.LocalPort);
                Assert.Equal(flags, segment.Flags);
                Assert.Equal(start.Seq, segment.Seq.Value);
                Assert.Equal((flags & TcpFlags.Ack) != 0 ? start.Ack : 0u, segment.Ack.Value);
                Assert.Equal(0, segment.Payload.Length);
                Assert.Equal(FlagMatrix.ProbeTime + FlagMatrix.Observation, sc.EndTime);
            }
        }
        Assert.Equal(64, FlagMatrix.Combinations.Distinct().Count());
    }

    /// <summary>Keeps the Linux half working: cells where the RFC leaves no choice agree on the kernel.</summary>
    [LinuxRootFact]
    public void Unambiguous_cells_agree_on_Linux()
    {
        var cells = new[]
        {
            ("CLOSED", TcpFlags.Syn), // RST with ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
            ("LISTEN", TcpFlags.Ack), // RST: <SEQ=SEG.ACK><CTL=RST>
            ("ESTABLISHED", TcpFlags.Rst), // exact RST: the connection is reset
            ("FIN-WAIT-1", TcpFlags.Ack), // our FIN acknowledged: FIN-WAIT-2
        };
        foreach (var (state, flags) in cells)
        {
            var start = FlagMatrix.Starts.Single(s => s.Name == state);
            var rx = FlagMatrix.RunRxTcp(start, flags);
            var linux = FlagMatrix.RunLinux(start, flags, NamespacePrefix);
            output.WriteLine($"{state} {TcpSegment.FormatFlags(flags)}: RxTcp {rx}; Linux {linux}{(linux.Problem is { } p ? " (" + p + ")" : "")}");
            Assert.Null(linux.Problem);
            Assert.Equal(rx.ToString(), linux.ToString());
        }
    }

    [FlagMatrixFact]
    public void Write_flag_matrix()
    {
        var watch = Stopwatch.StartNew();
        var cells = RunRxTcp().ToArray();
        var (committed, committedKernel) = File.Exists(FlagMatrixTable.FilePath) ? FlagMatrixTable.Parse(File.ReadAllText(FlagMatrixTable.FilePath)) : ([], "");
        var committedLinux = committed.ToDictionary(c => (c.State, c.Flags), c => c.Linux);
        if (FlagMatrixFactAttribute.Mode == FlagMatrixFactAttribute.KeepLinux)
        {
            // Linux's reactions do not depend on RxTcp's code: keep the committed ones.
            cells = cells.Select(c => c with { Linux = committedLinux.GetValueOrDefault((c.State, c.Flags)) }).ToArray();
            Write(cells, committedKernel, watch);
            return;
        }
        bool onlyFailed = FlagMatrixFactAttribute.Mode == FlagMatrixFactAttribute.RerunFailed;
        // Runs mostly sleep in real time, each in its own namespace, so several overlap.
        Parallel.For(0, cells.Length, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
        {
            if (onlyFailed && committedLinux.GetValueOrDefault((cells[i].State, cells[i].Flags)) is { Problem: null } kept)
            {
                cells[i] = cells[i] with { Linux = kept };
                return;
            }
            var start = FlagMatrix.Starts.Single(s => s.Name == cells[i].State);
            FlagReaction linux = null!;
            // A run whose prelude went otherwise (a busy machine) is tried again.
            for (int attempt = 0; attempt < 3; attempt++)
            {
                try
                {
                    linux = FlagMatrix.RunLinux(start, cells[i].Flags, NamespacePrefix);
                }
                catch (Exception ex)
                {
                    linux = new FlagReaction([], "", $"the runner failed: {ex.GetType().Name}: {ex.Message}");
                }
                if (linux.Problem is null) break;
            }
            cells[i] = cells[i] with { Linux = linux };
        });
        string kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : Environment.OSVersion.VersionString;
        Write(cells, kernel, watch);
    }

    private void Write(FlagMatrixCell[] cells, string kernel, Stopwatch watch)
    {
        watch.Stop();
        File.WriteAllText(FlagMatrixTable.FilePath, FlagMatrixTable.Serialize(cells, kernel));
        var docPath = Path.Combine(ConformanceTableTests.RepositoryRoot(), "CONFORMANCE.md");
        File.WriteAllText(docPath, FlagMatrixTable.Splice(File.ReadAllText(docPath), FlagMatrixTable.Render(cells, kernel)));
        output.WriteLine($"wrote {FlagMatrixTable.FilePath} and the flag matrix of {docPath} in {watch.Elapsed.TotalSeconds:0} s");

        var failed = cells.Where(c => c.Linux is not { Problem: null }).Select(c => $"{c.State} {c.Probe}: {c.Linux?.Problem ?? "not run on Linux"}").ToList();
        var unexplained = cells.Where(c => c.Linux is { Problem: null } && !c.Agrees && FlagMatrixNotes.Explain(c) is null)
            .Select(c => $"{c.State} {c.Probe}: RxTcp {c.RxTcp}; Linux {c.Linux}").ToList();
        foreach (var line in failed.Concat(unexplained)) output.WriteLine(line);
        Assert.True(failed.Count == 0, $"{failed.Count} Linux run(s) went wrong:\n" + string.Join("\n", failed.Take(20)));
        Assert.True(unexplained.Count == 0, $"{unexplained.Count} divergence(s) without a note in FlagMatrixNotes:\n" + string.Join("\n", unexplained.Take(40)));
    }

    private static List<FlagMatrixCell> RunRxTcp() =>
        FlagMatrix.Starts.SelectMany(s => FlagMatrix.Combinations.Select(f => new FlagMatrixCell(s.Name, f, FlagMatrix.RunRxTcp(s, f), null))).ToList();
}

/// <summary>
/// Runs the flag matrix's generator when asked: <c>RXTCP_CONFORMANCE=1</c> (as root on Linux with
/// /dev/net/tun) runs both stacks, and with <c>RXTCP_FLAG_MATRIX=rerun-failed</c> only the Linux runs
/// that went wrong last time; <c>RXTCP_FLAG_MATRIX=keep-linux</c> reruns RxTcp only and keeps the
/// committed Linux reactions (no root needed; the kernel's side does not depend on RxTcp's code).
/// </summary>
public sealed class FlagMatrixFactAttribute : FactAttribute
{
    /// <summary>Environment variable that chooses what the generator reruns.</summary>
    public const string Switch = "RXTCP_FLAG_MATRIX";

    public const string KeepLinux = "keep-linux";
    public const string RerunFailed = "rerun-failed";

    public static string? Mode => Environment.GetEnvironmentVariable(Switch);

    public FlagMatrixFactAttribute()
    {
        if (Mode == KeepLinux) return;
        if (Environment.GetEnvironmentVariable(ConformanceTableTests.Switch) is not { Length: > 0 } and not "0")
            Skip = $"Writes flag-matrix.tsv and its section of CONFORMANCE.md; set {ConformanceTableTests.Switch}=1 to run it (as root), or {Switch}={KeepLinux} to rerun RxTcp only.";
        else if (LinuxRootFactAttribute.SkipReason() is { } reason)
            Skip = reason;
    }
}
