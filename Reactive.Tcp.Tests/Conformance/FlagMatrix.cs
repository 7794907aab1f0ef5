using System.Globalization;
using System.Text;
using Reactive.Tcp.Tests.Marbles;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>
/// The flag matrix: every combination of SYN, FIN, RST, ACK, PSH and URG (64) sent, as one segment
/// without data, to a connection in every state a scripted peer can put both stacks into; what
/// the stack sends back and the state it is left in. Each cell is a marble scenario (a prelude
/// that reaches the state, then the probe), played against RxTcp by <see cref="MarbleRunner"/> and
/// against Linux by <see cref="LinuxMarbleRunner"/>.
/// </summary>
/// <remarks>
/// Numbering: the peer's ISN is 5000, the stack's 1000 (<c>isn=1000</c>; Linux's is lined up with
/// it). The probe's sequence number is RCV.NXT, the left edge of the receive window (so a RST is
/// the exact one of RFC 5961 §3.2 and a SYN falls inside the window, §4.2), and its ACK number,
/// when the ACK flag is set, is SND.NXT: it acknowledges everything the stack has sent, its FIN
/// included. Without a connection (CLOSED, LISTEN) the probe is seq 5000 ack 1001. A probe with
/// SYN carries <c>&lt;mss 1460&gt;</c>, the others no options; the urgent pointer is 0; the window 65535.
/// </remarks>
internal static class FlagMatrix
{
    /// <summary>When the probe is sent: long after the prelude's last segment, so nothing of the prelude is still on its way.</summary>
    public static readonly long ProbeTime = 50 * TimeSpan.TicksPerMillisecond;

    /// <summary>
    /// How long after the probe replies are collected: well short of every retransmission timer (the
    /// RTO is at least 1 s here) and of Linux's tail loss probe (at least 200 ms after a lone FIN).
    /// </summary>
    public static readonly long Observation = 100 * TimeSpan.TicksPerMillisecond;

    /// <summary>The flags a probe may carry, in the order of the bits of a combination's index.</summary>
    private static readonly TcpFlags[] Bits = [TcpFlags.Syn, TcpFlags.Fin, TcpFlags.Rst, TcpFlags.Ack, TcpFlags.Psh, TcpFlags.Urg];

    /// <summary>The 64 combinations, the 16 of SYN/FIN/RST/ACK first, then with PSH, URG, both.</summary>
    public static IReadOnlyList<TcpFlags> Combinations { get; } =
        Enumerable.Range(0, 64).Select(i => Bits.Where((_, bit) => (i >> bit & 1) != 0).Aggregate(TcpFlags.None, (a, f) => a | f)).ToList();

    /// <summary>The states a probe is sent in, each with the prelude that reaches it.</summary>
    public static IReadOnlyList<FlagMatrixStart> Starts { get; } =
    [
        new("CLOSED", "nothing listens on the port", Passive: false, Listening: false, Seq: 5000, Ack: 1001),
        new("LISTEN", "the application listens", Passive: true, Listening: true, Seq: 5000, Ack: 1001, App: "L"),
        new("SYN-SENT", "the application connects; its SYN is unanswered", Passive: false, Listening: false, Seq: 5000, Ack: 1001,
            App: "C", Out: "s"),
        new("SYN-RECEIVED", "the peer's SYN was answered with a SYN-ACK", Passive: true, Listening: true, Seq: 5001, Ack: 1001,
            App: "L", In: "-S", Out: "-s"),
        new("ESTABLISHED", "a passive open completed", Passive: true, Listening: true, Seq: 5001, Ack: 1001,
            App: "L", In: "-S-A", Out: "-s"),
        new("FIN-WAIT-1", "then the application closed; its FIN is not yet acknowledged", Passive: true, Listening: true, Seq: 5001, Ack: 1002,
            App: "L----c", In: "-S-A", Out: "-s---f"),
        new("FIN-WAIT-2", "then the peer acknowledged the FIN", Passive: true, Listening: true, Seq: 5001, Ack: 1002,
            App: "L----c", In: "-S-A---K", Out: "-s---f"),
        new("CLOSE-WAIT", "the peer's FIN arrived and was acknowledged", Passive: true, Listening: true, Seq: 5002, Ack: 1001,
            App: "L", In: "-S-A-F", Out: "-s---a"),
        new("CLOSING", "the FINs crossed: the peer's FIN did not acknowledge ours", Passive: true, Listening: true, Seq: 5002, Ack: 1002,
            App: "L----c", In: "-S-A--G", Out: "-s---fg"),
        new("LAST-ACK", "after CLOSE-WAIT the application closed; its FIN is not yet acknowledged", Passive: true, Listening: true, Seq: 5002, Ack: 1002,
            App: "L------c", In: "-S-A-F", Out: "-s---a-l"),
        new("TIME-WAIT", "the peer acknowledged our FIN, then sent its own, which was acknowledged", Passive: true, Listening: true, Seq: 5002, Ack: 1002,
            App: "L----c", In: "-S-A---K-H", Out: "-s---f---h"),
    ];

    /// <summary>The prelude's segments (the peer's upper case, the stack's lower case).</summary>
    private const string PassiveDefs = """
        def S = [S] seq 5000 win 65535 <mss 1460>
        def s = [S.] seq 1000 ack 5001 <mss 1460>
        def A = [.] seq 5001 ack 1001 win 65535
        def f = [F.] seq 1001 ack 5001
        def K = [.] seq 5001 ack 1002 win 65535
        def F = [F.] seq 5001 ack 1001 win 65535
        def a = [.] seq 1001 ack 5002
        def l = [F.] seq 1001 ack 5002
        def G = [F.] seq 5001 ack 1001 win 65535
        def g = [.] seq 1002 ack 5002
        def H = [F.] seq 5001 ack 1002 win 65535
        def h = [.] seq 1002 ack 5002
        """;

    private const string ActiveDefs = """
        def s = [S] seq 1000
        """;

    /// <summary>The probe in the segment notation (as the peer sends it, in the scenario's numbering).</summary>
    public static string Probe(FlagMatrixStart start, TcpFlags flags)
    {
        var sb = new StringBuilder(TcpSegment.FormatFlags(flags));
        sb.Append(CultureInfo.InvariantCulture, $" seq {start.Seq}");
        if ((flags & TcpFlags.Ack) != 0) sb.Append(CultureInfo.InvariantCulture, $" ack {start.Ack}");
        sb.Append(" win 65535");
        sb.Append((flags & TcpFlags.Syn) != 0 ? " <mss 1460>" : " <>");
        return sb.ToString();
    }

    /// <summary>The cell as a marble scenario: the prelude, then the probe <c>X</c> at <see cref="ProbeTime"/>.</summary>
    public static string ScenarioText(FlagMatrixStart start, TcpFlags flags)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Flag matrix: {TcpSegment.FormatFlags(flags)} in {start.Name} ({start.How}).");
        // An active open goes from an ephemeral port to the peer's port 80; everything else is addressed to port 80.
        sb.AppendLine(start.App.Contains('C', StringComparison.Ordinal)
            ? "local:  192.0.2.2:49152\nremote: 192.0.2.1:80"
            : "local:  192.0.2.2:80\nremote: 192.0.2.1:40000");
        sb.AppendLine("frame:  1ms");
        // No delayed ACK (Linux: the route's quickack), so every reply comes at once on both stacks;
        // an RTO of at least 1 s (Linux: the route's rto_min), so no retransmission falls in the observation.
        sb.AppendLine("config: isn=1000 delack=0 minrto=1s");
        sb.AppendLine(start.Passive ? PassiveDefs : ActiveDefs);
        sb.AppendLine("def X = " + Probe(start, flags));
        if (start.App.Length > 0) sb.AppendLine("app:   " + start.App);
        sb.AppendLine("in:    " + WithProbe(start.In));
        if (start.Out.Length > 0) sb.AppendLine("out:   " + start.Out);
        sb.AppendLine("end:   " + MarbleParser.FormatDuration(ProbeTime + Observation));
        return sb.ToString();
    }

    /// <summary>The prelude's in lane, then the probe at <see cref="ProbeTime"/> (a duration counts from the last token's start).</summary>
    private static string WithProbe(string prelude)
    {
        long lastStart = Math.Max(0, prelude.Length - 1) * TimeSpan.TicksPerMillisecond;
        return (prelude + " " + MarbleParser.FormatDuration(ProbeTime - lastStart) + " X").TrimStart();
    }

    public static MarbleScenario Scenario(FlagMatrixStart start, TcpFlags flags) =>
        MarbleParser.Parse(ScenarioText(start, flags), $"flag-matrix/{start.Name}/{TcpSegment.FormatFlags(flags)}");

    /// <summary>RxTcp's reaction to the probe, in virtual time.</summary>
    public static FlagReaction RunRxTcp(FlagMatrixStart start, TcpFlags flags)
    {
        var sc = Scenario(start, flags);
        var run = MarbleRunner.Run(sc);
        var problems = new List<string>(run.Problems);
        var prelude = run.Sent.Where(s => s.Time < ProbeTime).ToList();
        var expected = sc.Out.Events.SelectMany(e => e.Symbols).Select(c => sc.Segments[c]).ToList();
        if (prelude.Count != expected.Count || !prelude.Zip(expected).All(p => p.First.Problem is null && p.Second.Matches(p.First.Segment)))
            problems.Add($"the prelude went otherwise on RxTcp: sent {Describe(prelude)}");
        char before = run.States.Where(s => s.Time < ProbeTime).Select(s => s.State).DefaultIfEmpty('C').Last();
        if (StateName(before, start) != start.Name) problems.Add($"the prelude left RxTcp in {StateName(before, start)}, not {start.Name}");
        char after = run.States.Select(s => s.State).DefaultIfEmpty('C').Last();
        var replies = run.Sent.Where(s => s.Time >= ProbeTime).Select(s => s.Problem ?? Reply(s.Segment)).ToList();
        return new FlagReaction(replies, StateName(after, start), problems.Count == 0 ? null : string.Join("; ", problems));
    }

    /// <summary>Linux's reaction to the probe: the same scenario through a TUN device in a fresh namespace.</summary>
    public static FlagReaction RunLinux(FlagMatrixStart start, TcpFlags flags, string namespacePrefix)
    {
        var sc = Scenario(start, flags);
        var run = LinuxMarbleRunner.Run(sc, new LinuxRunSettings { NamespacePrefix = namespacePrefix, ReadSockets = true });
        // Timing is not what the matrix compares: a late runner matters only if the prelude went wrong, checked below.
        var problems = run.Problems.Where(p => !p.StartsWith(LinuxMarbleRunner.TooBusy, StringComparison.Ordinal)).ToList();
        var prelude = run.Sent.Where(s => s.Time < ProbeTime).ToList();
        var expected = sc.Out.Events.SelectMany(e => e.Symbols).Select(c => sc.Segments[c]).ToList();
        bool preludeMatches = prelude.Count == expected.Count
            && prelude.Zip(expected).All(p => p.First.Problem is null && LinuxReport.Matches(p.Second, p.First.Segment));
        if (!preludeMatches)
            problems.Add($"the prelude went otherwise on Linux: sent {Describe(prelude)}");
        long end = sc.EndTime;
        var replies = run.Sent.Where(s => s.Time >= ProbeTime && s.Time < end).Select(s => s.Problem ?? Reply(s.Segment)).ToList();
        return new FlagReaction(replies, KernelState(run.KernelSockets, sc, start), problems.Count == 0 ? null : string.Join("; ", problems));
    }

    private static string Describe(List<SentSegment> sent) =>
        sent.Count == 0 ? "nothing" : string.Join(", ", sent.Select(p => p.Problem ?? Reply(p.Segment)));

    /// <summary>A reply as the matrix shows it: flags, seq, ack, payload length; options only on a SYN.</summary>
    public static string Reply(in TcpSegment s)
    {
        var sb = new StringBuilder(TcpSegment.FormatFlags(s.Flags));
        sb.Append(CultureInfo.InvariantCulture, $" seq {s.Seq.Value}");
        if ((s.Flags & TcpFlags.Ack) != 0) sb.Append(CultureInfo.InvariantCulture, $" ack {s.Ack.Value}");
        if ((s.Flags & TcpFlags.Syn) != 0) sb.Append(" <").Append(SynOptions(s.Options)).Append('>');
        if (s.Payload.Length > 0) sb.Append(CultureInfo.InvariantCulture, $" len {s.Payload.Length}");
        return sb.ToString();
    }

    // Which options a SYN offers (values that come from each stack's own clock or buffers left out).
    private static string SynOptions(in TcpOptions o)
    {
        var parts = new List<string>();
        if (o.Mss is { } mss) parts.Add(string.Create(CultureInfo.InvariantCulture, $"mss {mss}"));
        if (o.SackPermitted) parts.Add("sackOK");
        if (o.HasTimestamps) parts.Add("TS");
        if (o.HasWindowScale) parts.Add("wscale");
        return string.Join(",", parts);
    }

    /// <summary>The RFC 9293 name of a state letter of the marble notation; no connection is LISTEN or CLOSED by whether the port listens.</summary>
    private static string StateName(char letter, FlagMatrixStart start) => letter switch
    {
        'S' => "SYN-SENT",
        'R' => "SYN-RECEIVED",
        'E' => "ESTABLISHED",
        '1' => "FIN-WAIT-1",
        '2' => "FIN-WAIT-2",
        'W' => "CLOSE-WAIT",
        'G' => "CLOSING",
        'K' => "LAST-ACK",
        'T' => "TIME-WAIT",
        'L' => "LISTEN",
        _ => start.Listening ? "LISTEN" : "CLOSED",
    };

    /// <summary>The state of the scenario's 4-tuple in the kernel's socket table (<c>ss -tanH</c>).</summary>
    private static string KernelState(IReadOnlyList<string> sockets, MarbleScenario sc, FlagMatrixStart start)
    {
        string local = $"{sc.LocalAddress}:{sc.LocalPort}", remote = $"{sc.RemoteAddress}:{sc.RemotePort}";
        var states = new List<string>();
        bool listening = false;
        foreach (var line in sockets)
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 5) continue;
            if (f[3] == local && f[4] == remote) states.Add(KernelStateName(f[0]));
            else if (f[0] == "LISTEN" && (f[3] == local || f[3] == $"0.0.0.0:{sc.LocalPort}")) listening = true;
        }
        if (states.Count > 0) return string.Join("+", states);
        return listening ? "LISTEN" : "CLOSED";
    }

    private static string KernelStateName(string ss) => ss switch
    {
        "ESTAB" => "ESTABLISHED",
        "SYN-RECV" => "SYN-RECEIVED",
        "CLOSE" or "UNCONN" => "CLOSED",
        _ => ss,
    };
}

/// <summary>A state of the matrix: its RFC 9293 name, the prelude that reaches it, and the probe's in-window numbers.</summary>
/// <param name="Name">The state's name in RFC 9293.</param>
/// <param name="How">How the prelude reaches it, in words.</param>
/// <param name="Passive">The stack's side was opened passively (a listener on port 80).</param>
/// <param name="Listening">The port still listens after the prelude (no connection then means LISTEN, not CLOSED).</param>
/// <param name="Seq">The probe's sequence number: RCV.NXT (5000 without a connection).</param>
/// <param name="Ack">The probe's ACK number when the ACK flag is set: SND.NXT (1001 without a connection).</param>
/// <param name="App">The prelude's <c>app:</c> lane.</param>
/// <param name="In">The prelude's <c>in:</c> lane.</param>
/// <param name="Out">What the stack sends in the prelude (the <c>out:</c> lane).</param>
internal sealed record FlagMatrixStart(string Name, string How, bool Passive, bool Listening, uint Seq, uint Ack, string App = "", string In = "", string Out = "");

/// <summary>What one stack did with one probe: the segments it sent back, the state it was left in, and any problem with the run.</summary>
internal sealed record FlagReaction(IReadOnlyList<string> Replies, string State, string? Problem)
{
    /// <summary>The replies in one cell: <c>nothing</c>, or the segments separated by <c>; </c>.</summary>
    public string RepliesText => Replies.Count == 0 ? "nothing" : string.Join("; ", Replies);

    /// <summary>The whole reaction in one line: replies → state.</summary>
    public override string ToString() => $"{RepliesText} → {State}";
}
