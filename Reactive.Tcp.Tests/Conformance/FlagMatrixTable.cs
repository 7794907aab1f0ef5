using System.Globalization;
using System.Text;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>One cell of the flag matrix: a probe in a state, RxTcp's reaction and Linux's (null: not run).</summary>
internal sealed record FlagMatrixCell(string State, TcpFlags Flags, FlagReaction RxTcp, FlagReaction? Linux)
{
    public string Probe => TcpSegment.FormatFlags(Flags);

    /// <summary>Both stacks sent the same replies and ended in the same state.</summary>
    public bool Agrees => Linux is { Problem: null } l && RxTcp.Problem is null
        && l.RepliesText == RxTcp.RepliesText && l.State == RxTcp.State;
}

/// <summary>
/// The committed flag matrix (<c>Reactive.Tcp.Tests/Conformance/flag-matrix.tsv</c>: the expectations
/// RxTcp is held to, and Linux's reactions from the last root run) and its section of <c>CONFORMANCE.md</c>.
/// </summary>
internal static class FlagMatrixTable
{
    public const string FileName = "flag-matrix.tsv";
    public const string SectionStart = "<!-- flag-matrix: generated from Reactive.Tcp.Tests/Conformance/flag-matrix.tsv; do not edit by hand -->";
    public const string SectionEnd = "<!-- flag-matrix: end -->";
    private const string NotRun = "not run";

    public static string FilePath => Path.Combine(ConformanceTableTests.RepositoryRoot(), "Reactive.Tcp.Tests", "Conformance", FileName);

    /// <summary>The cells in a stable order: by state (the order of <see cref="FlagMatrix.Starts"/>), then combination.</summary>
    public static string Serialize(IEnumerable<FlagMatrixCell> cells, string kernel)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# The flag matrix (see FlagMatrix.cs): one probe per line, RxTcp's reaction and Linux's.");
        sb.AppendLine("# Regenerate as root: RXTCP_CONFORMANCE=1 dotnet test Reactive.Tcp.Tests --filter \"FullyQualifiedName~FlagMatrix\"");
        sb.AppendLine("# FlagMatrixTests asserts the RxTcp columns on every run.");
        sb.Append("# linux: ").AppendLine(kernel);
        sb.AppendLine("# state\tprobe\trxtcp replies\trxtcp state\tlinux replies\tlinux state\tlinux problem");
        foreach (var c in cells)
        {
            sb.Append(c.State).Append('\t').Append(c.Probe).Append('\t')
                .Append(c.RxTcp.RepliesText).Append('\t').Append(c.RxTcp.State).Append('\t')
                .Append(c.Linux?.RepliesText ?? NotRun).Append('\t').Append(c.Linux?.State ?? NotRun).Append('\t')
                .Append(c.Linux?.Problem ?? "").Append('\n');
        }
        return sb.ToString();
    }

    public static (List<FlagMatrixCell> Cells, string Kernel) Parse(string text)
    {
        var cells = new List<FlagMatrixCell>();
        string kernel = "";
        foreach (var raw in text.Split('\n'))
        {
            if (raw.StartsWith("# linux: ", StringComparison.Ordinal)) kernel = raw["# linux: ".Length..].Trim();
            if (raw.Length == 0 || raw.StartsWith('#')) continue;
            var f = raw.Split('\t');
            if (f.Length != 7) throw new FormatException($"{FileName}: expected 7 tab-separated fields: {raw}");
            var flags = Flags(f[1]);
            var linux = f[4] == NotRun ? null : new FlagReaction(Replies(f[4]), f[5], f[6].Length == 0 ? null : f[6]);
            cells.Add(new FlagMatrixCell(f[0], flags, new FlagReaction(Replies(f[2]), f[3], null), linux));
        }
        return (cells, kernel);
    }

    private static List<string> Replies(string text) => text == "nothing" ? [] : text.Split("; ").ToList();

    private static TcpFlags Flags(string text) =>
        FlagMatrix.Combinations.FirstOrDefault(c => TcpSegment.FormatFlags(c) == text, (TcpFlags)0xFF) is var f && f != (TcpFlags)0xFF
            ? f
            : throw new FormatException($"{FileName}: '{text}' is not a probe of the matrix");

    /// <summary>The section of <c>CONFORMANCE.md</c>: how the matrix is made, totals, one table per state, the explanations.</summary>
    public static string Render(IReadOnlyList<FlagMatrixCell> cells, string kernel)
    {
        var sb = new StringBuilder();
        sb.AppendLine(SectionStart);
        sb.AppendLine("## Flag matrix: every combination of SYN, FIN, RST, ACK, PSH and URG in every state");
        sb.AppendLine();
        sb.AppendLine("Each cell is a marble scenario made by `FlagMatrix.cs`: a prelude puts the connection in the state, then at");
        sb.AppendLine("50 ms the peer sends one segment without data carrying the cell's flags (the *probe*); what the stack sends in");
        sb.AppendLine("the next 100 ms and the state it is left in are recorded, for RxTcp (virtual time) and for Linux (the same");
        sb.AppendLine("scenario through a TUN device in a fresh namespace, as above; its state read with `ss -tan`).");
        sb.AppendLine();
        sb.AppendLine("- **Numbers, in window.** The peer's ISN is 5000, the stack's 1000 (Linux's own is shown shifted onto 1000).");
        sb.AppendLine("  The probe's sequence number is RCV.NXT, the left edge of the receive window: a RST is then the *exact* one");
        sb.AppendLine("  (RFC 5961 §3.2) and a SYN lies inside the window (§4.2). When the probe has ACK, its ACK number is SND.NXT: it");
        sb.AppendLine("  acknowledges everything the stack sent, its FIN included (so an ACK moves FIN-WAIT-1 on to FIN-WAIT-2, CLOSING");
        sb.AppendLine("  to TIME-WAIT, LAST-ACK to CLOSED, shown as LISTEN). Without a connection (CLOSED, LISTEN) the probe is");
        sb.AppendLine("  seq 5000, ack 1001; in SYN-SENT seq 5000, ack 1001 (ISS + 1). A probe with SYN carries `<mss 1460>`, others");
        sb.AppendLine("  no options; the urgent pointer is 0 and the window 65535. Without the ACK flag the ACK field is 0.");
        sb.AppendLine("- **Preludes.** CLOSED: nothing listens on port 80. LISTEN: the application listens. SYN-SENT: the application");
        sb.AppendLine("  connects from port 49152 to the peer's port 80. The others are a passive open on port 80 (the peer's SYN");
        sb.AppendLine("  offers only MSS, so no timestamps, SACK or window scaling), then: SYN-RECEIVED, our SYN-ACK unanswered;");
        sb.AppendLine("  ESTABLISHED, handshake done; FIN-WAIT-1, the application closed (Linux: `shutdown(SHUT_WR)`); FIN-WAIT-2, the");
        sb.AppendLine("  peer ACKed that FIN; CLOSE-WAIT, the peer's FIN ACKed; CLOSING, the FINs crossed; LAST-ACK, the application");
        sb.AppendLine("  closed in CLOSE-WAIT; TIME-WAIT, FIN-WAIT-2 then the peer's FIN. Delayed ACKs are off on both (`delack=0`,");
        sb.AppendLine("  Linux's route `quickack 1`) and the RTO is at least 1 s (`minrto=1s`, route `rto_min 1000ms`), so no timer");
        sb.AppendLine("  fires in the observation. A cell counts only if the kernel's prelude segments matched the scenario's.");
        sb.AppendLine("- **Compared.** The replies' flags, `seq` and `ack` (relative), payload length, and on a SYN which options it");
        sb.AppendLine("  offers; not windows or option values. The resulting state is the 4-tuple's; with no connection left it is");
        sb.AppendLine("  LISTEN when the port still listens, else CLOSED. A reply sent later than 100 ms after the probe is not seen.");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine("sudo RXTCP_CONFORMANCE=1 dotnet test Reactive.Tcp.Tests --filter \"FullyQualifiedName~FlagMatrix\"   # both stacks; writes this section");
        sb.AppendLine("dotnet test Reactive.Tcp.Tests --filter \"FullyQualifiedName~FlagMatrix\"                            # RxTcp against flag-matrix.tsv");
        sb.AppendLine("```");
        sb.AppendLine();

        int agree = cells.Count(c => c.Agrees);
        var divergent = cells.Where(c => c.Linux is { Problem: null } && !c.Agrees).ToList();
        int explained = divergent.Count(c => FlagMatrixNotes.Explain(c) is not null);
        int notRun = cells.Count(c => c.Linux is null);
        int failed = cells.Count(c => c.Linux is { Problem: not null });
        sb.Append(CultureInfo.InvariantCulture, $"**Totals** ({cells.Count} cells, {FlagMatrix.Starts.Count} states × {FlagMatrix.Combinations.Count} probes")
            .Append(kernel.Length > 0 ? $", Linux {kernel}" : "").AppendLine("):");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **{agree}** agree (same replies, same state);");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- **{divergent.Count}** diverge, **{explained}** of them explained below{(explained < divergent.Count ? $", {divergent.Count - explained} not yet" : "")}{(notRun + failed > 0 ? ";" : ".")}");
        if (notRun + failed > 0) sb.AppendLine(CultureInfo.InvariantCulture, $"- {notRun} not run on Linux, {failed} whose Linux run went wrong (the problem is in the table).");
        sb.AppendLine();

        sb.AppendLine("| State | agree | diverge |");
        sb.AppendLine("|---|---|---|");
        foreach (var start in FlagMatrix.Starts)
        {
            var inState = cells.Where(c => c.State == start.Name).ToList();
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {start.Name} | {inState.Count(c => c.Agrees)} | {inState.Count(c => c.Linux is { Problem: null } && !c.Agrees)} |");
        }
        sb.AppendLine();

        var notes = FlagMatrixNotes.All.ToList();
        foreach (var start in FlagMatrix.Starts)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"### {start.Name}: {start.How}");
            sb.AppendLine();
            sb.AppendLine("| Probe | RxTcp replies | RxTcp state | Linux replies | Linux state | Verdict |");
            sb.AppendLine("|---|---|---|---|---|---|");
            foreach (var c in cells.Where(c => c.State == start.Name))
            {
                string linuxReplies, linuxState, verdict;
                if (c.Linux is null) (linuxReplies, linuxState, verdict) = ("not run", "", "");
                else if (c.Linux.Problem is { } problem) (linuxReplies, linuxState, verdict) = (c.Linux.RepliesText, c.Linux.State, "run failed: " + problem);
                else if (c.Agrees) (linuxReplies, linuxState, verdict) = ("same", "same", "agree");
                else
                {
                    (linuxReplies, linuxState) = (c.Linux.RepliesText, c.Linux.State);
                    verdict = FlagMatrixNotes.Explain(c) is { } note ? $"**diverges** ({note.Id})" : "**diverges, not yet explained**";
                }
                sb.Append("| `").Append(c.Probe).Append("` | ").Append(Code(c.RxTcp.RepliesText)).Append(" | ").Append(c.RxTcp.State)
                    .Append(" | ").Append(linuxReplies is "same" or "not run" ? linuxReplies : Code(linuxReplies)).Append(" | ").Append(linuxState)
                    .Append(" | ").Append(Cell(verdict)).AppendLine(" |");
            }
            sb.AppendLine();
        }

        var used = notes.Where(n => divergent.Any(c => FlagMatrixNotes.Explain(c)?.Id == n.Id)).ToList();
        if (used.Count > 0)
        {
            sb.AppendLine("### Why the divergent cells differ");
            sb.AppendLine();
            foreach (var n in used)
            {
                int count = divergent.Count(c => FlagMatrixNotes.Explain(c)?.Id == n.Id);
                sb.AppendLine(CultureInfo.InvariantCulture, $"- **({n.Id})** {n.Text} ({count} cell{(count == 1 ? "" : "s")})");
            }
            sb.AppendLine();
        }
        sb.AppendLine(SectionEnd);
        return sb.ToString();
    }

    /// <summary>Puts the section into <c>CONFORMANCE.md</c>'s text: in place of the old one, or before the divergence details.</summary>
    public static string Splice(string document, string section)
    {
        int start = document.IndexOf(SectionStart, StringComparison.Ordinal);
        if (start >= 0)
        {
            int end = document.IndexOf(SectionEnd, start, StringComparison.Ordinal);
            if (end < 0) throw new FormatException("CONFORMANCE.md has the flag matrix's start marker but not its end marker");
            end += SectionEnd.Length;
            if (end < document.Length && document[end] == '\n') end++;
            return document[..start] + section + document[end..];
        }
        const string details = "## What Linux did where it diverges";
        int at = document.IndexOf(details, StringComparison.Ordinal);
        return at < 0 ? document.TrimEnd('\n') + "\n\n" + section : document[..at] + section + "\n" + document[at..];
    }

    /// <summary>The section currently in <c>CONFORMANCE.md</c>'s text, or null.</summary>
    public static string? Section(string document)
    {
        int start = document.IndexOf(SectionStart, StringComparison.Ordinal);
        if (start < 0) return null;
        int end = document.IndexOf(SectionEnd, start, StringComparison.Ordinal);
        return end < 0 ? null : document[start..(end + SectionEnd.Length)] + "\n";
    }

    private static string Code(string text) => text == "nothing" ? "nothing" : "`" + text.Replace("; ", "`; `", StringComparison.Ordinal) + "`";

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
