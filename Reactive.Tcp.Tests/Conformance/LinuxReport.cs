using System.Globalization;
using System.Text;
using Reactive.Tcp.Tests.Marbles;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>
/// Compares what the Linux kernel did with a scenario's <c>out:</c> lane and final expectations,
/// under the Linux rules:
/// <list type="bullet">
/// <item>flags, <c>seq</c> (relative to the kernel's ISN), <c>ack</c>, payload, MSS value, option presence, TSecr and SACK blocks: exact;</item>
/// <item><c>win</c>, the window-scale shift and TSval: wildcards (the kernel's own buffer sizing and clock);</item>
/// <item>time: a kernel segment matches an expected one when it is sent between <see cref="MinTolerance"/>
/// (or 10 % of the time since the last scripted event, if more) before the expected frame and as much after its end;</item>
/// <item>the <c>state:</c> lane, <c>drops:</c> and <c>retransmissions:</c> are RxTcp's internals and are not compared.</item>
/// </list>
/// </summary>
internal sealed class LinuxReport
{
    /// <summary>Smallest timing tolerance: real time, a TUN device and thread wake-ups.</summary>
    public static readonly long MinTolerance = 20 * TimeSpan.TicksPerMillisecond;

    private const string AutoNames = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly MarbleScenario _sc;
    private readonly LinuxRun _run;
    private readonly List<string> _differences = new();

    private LinuxReport(MarbleScenario sc, LinuxRun run)
    {
        _sc = sc;
        _run = run;
    }

    public IReadOnlyList<string> Differences => _differences;
    public bool Passed => _differences.Count == 0;
    public string Message { get; private set; } = "";

    /// <summary>The kernel's lane as drawn (for the table): symbols at their (snapped) frames.</summary>
    public string LinuxLane { get; private set; } = "";

    /// <summary>Whether a kernel segment satisfies an expected pattern under the Linux rules (see the class).</summary>
    public static bool Matches(SegmentPattern p, in TcpSegment s)
    {
        if (s.Flags != p.Flags) return false;
        if (p.Seq is { } seq && s.Seq.Value != seq) return false;
        if (p.Ack is { } ack && s.Ack.Value != ack) return false;
        if (p.Options is { } o)
        {
            var a = s.Options;
            if (o.Mss != a.Mss || o.HasWindowScale != a.HasWindowScale || o.SackPermitted != a.SackPermitted
                || o.HasTimestamps != a.HasTimestamps || o.SackCount != a.SackCount)
                return false;
            if (o.HasTimestamps && o.TsEcr != a.TsEcr) return false;
            for (int i = 0; i < o.SackCount; i++)
                if (o.Sack[i] != a.Sack[i]) return false;
        }
        if (p.Length is { } length && s.Payload.Length != length) return false;
        if (p.Payload is { } payload && !s.Payload.Span.SequenceEqual(payload)) return false;
        return true;
    }

    public static LinuxReport Check(MarbleScenario sc, LinuxRun run)
    {
        var report = new LinuxReport(sc, run);
        report.Compare();
        return report;
    }

    private void Compare()
    {
        _differences.AddRange(_run.Problems);
        long frame = _sc.Frame;
        long end = _sc.EndTime;

        var scripted = _sc.In.Events.Select(e => e.Time).Concat(_sc.App.Events.Select(e => e.Time)).ToList();
        var expected = _sc.Out.Events.SelectMany(e => e.Symbols.Select(s => (e.Time, Symbol: s))).ToList();
        var actual = _run.Sent.ToList(); // in the order the kernel sent them
        var matchedBy = new int[actual.Count];
        Array.Fill(matchedBy, -1);
        var expectedMatch = new int[expected.Count];
        int last = -1;
        long previousExpected = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            var (t, symbol) = expected[i];
            long anchor = scripted.Where(x => x <= t).DefaultIfEmpty(0).Max();
            if (i > 0 && previousExpected <= t) anchor = Math.Max(anchor, previousExpected);
            long tolerance = Tolerance(t - anchor);
            var pattern = _sc.Segments[symbol];
            expectedMatch[i] = -1;
            for (int j = last + 1; j < actual.Count; j++)
            {
                long dt = actual[j].Time - t;
                if (dt > frame + tolerance) break;
                if (matchedBy[j] >= 0 || dt < -tolerance || actual[j].Problem is not null) continue;
                if (!Matches(pattern, actual[j].Segment)) continue;
                matchedBy[j] = i;
                expectedMatch[i] = j;
                last = j;
                break;
            }
            previousExpected = t;
        }

        // Name every kernel segment: after the definition it matches, else a number.
        var outDefs = _sc.Out.Events.SelectMany(e => e.Symbols).Distinct().Select(c => _sc.Segments[c]).ToList();
        var used = new HashSet<char>(_sc.Segments.Keys);
        var autoNamed = new Dictionary<string, char>();
        int nextAuto = 0;
        var names = new char[actual.Count];
        var legend = new List<(char Name, string Text, SegmentPattern? Def, List<long> Times)>();
        for (int j = 0; j < actual.Count; j++)
        {
            var sent = actual[j];
            string text = sent.Problem is null ? SegmentNotation.Format(sent.Segment) : SegmentNotation.Format(sent.Segment) + " — " + sent.Problem;
            SegmentPattern? def = null;
            if (sent.Problem is null)
            {
                if (matchedBy[j] >= 0) def = _sc.Segments[expected[matchedBy[j]].Symbol];
                def ??= outDefs.FirstOrDefault(d => Matches(d, sent.Segment));
            }
            char name;
            if (def is not null) name = def.Name;
            else if (!autoNamed.TryGetValue(text, out name))
            {
                while (nextAuto < AutoNames.Length && used.Contains(AutoNames[nextAuto])) nextAuto++;
                name = nextAuto < AutoNames.Length ? AutoNames[nextAuto++] : '?';
                used.Add(name);
                autoNamed[text] = name;
            }
            names[j] = name;
            var entry = legend.FindIndex(l => l.Name == name && l.Text == text);
            if (entry < 0) legend.Add((name, text, def, [sent.Time]));
            else legend[entry].Times.Add(sent.Time);
        }

        // Differences: expected segments not sent in time, kernel segments nobody expected.
        var sentElsewhere = new HashSet<int>();
        for (int i = 0; i < expected.Count; i++)
        {
            if (expectedMatch[i] >= 0) continue;
            var (t, symbol) = expected[i];
            var pattern = _sc.Segments[symbol];
            int elsewhere = Enumerable.Range(0, actual.Count)
                .FirstOrDefault(j => matchedBy[j] < 0 && !sentElsewhere.Contains(j) && actual[j].Problem is null && Matches(pattern, actual[j].Segment), -1);
            if (elsewhere >= 0) sentElsewhere.Add(elsewhere);
            _differences.Add(elsewhere >= 0
                ? $"out at {At(t)}: expected {symbol}; Linux sent it at {Real(actual[elsewhere].Time)} instead"
                : $"out at {At(t)}: expected {symbol}, Linux sent nothing like it");
        }
        for (int j = 0; j < actual.Count; j++)
        {
            if (matchedBy[j] >= 0 || sentElsewhere.Contains(j) || actual[j].Time >= end) continue;
            _differences.Add($"out at {Real(actual[j].Time)}: Linux sent {names[j]}, not expected");
        }

        // Final expectations the kernel can tell: bytes read, end of stream, error.
        if (_sc.Received is { } rx)
        {
            if (rx.Exact is { } exact ? !_run.Received.AsSpan().SequenceEqual(exact) : _run.Received.Length != rx.Length)
                _differences.Add($"received: expected {(rx.Exact is { } e ? SegmentNotation.Describe(e) : rx.Length + " bytes")}, got {SegmentNotation.Describe(_run.Received)}");
        }
        if (_sc.Eof is { } eof && eof != _run.Eof)
            _differences.Add($"eof: expected {(eof ? "yes" : "no")}, got {(_run.Eof ? "yes" : "no")}");
        if (_sc.Error is { } error && error != _run.Error)
            _differences.Add($"error: expected {MarbleReport.ErrorName(error)}, got {MarbleReport.ErrorName(_run.Error)}{(_run.ErrorSource.Length > 0 ? $" (from {_run.ErrorSource})" : "")}");

        // The Linux lane: matched segments at their expected frame, others at the frame they were sent in.
        var linux = new Dictionary<long, List<char>>();
        long shownEnd = end;
        for (int j = 0; j < actual.Count; j++)
        {
            long at = matchedBy[j] >= 0 ? expected[matchedBy[j]].Time : actual[j].Time / frame * frame;
            if (!linux.TryGetValue(at, out var list)) linux[at] = list = new();
            list.Add(names[j]);
            shownEnd = Math.Max(shownEnd, at + frame);
        }
        var lanes = new List<(string Label, Dictionary<long, List<char>> Events)>
        {
            ("in", ByTime(_sc.In)),
            ("app", ByTime(_sc.App)),
            ("expected out", ByTime(_sc.Out)),
            ("linux out", linux),
        };
        var drawn = MarbleReport.Layout(lanes, frame, shownEnd);
        LinuxLane = drawn[3][(drawn[3].IndexOf(':') + 2)..];
        if (Passed) return;

        var sb = new StringBuilder();
        sb.Append("Linux diverges from ").Append(_sc.Name);
        if (_sc.Title.Length > 0) sb.Append(" (").Append(_sc.Title).Append(')');
        sb.AppendLine(":");
        foreach (var d in _differences) sb.Append("  - ").AppendLine(d);
        sb.AppendLine();
        sb.Append("  frame ").Append(MarbleParser.FormatDuration(frame))
            .AppendLine("; kernel segments drawn at the expected frame when they matched in time, else at the frame they were sent in:");
        foreach (var line in drawn) sb.Append("  ").AppendLine(line);
        sb.AppendLine();
        if (outDefs.Count > 0)
        {
            sb.AppendLine("  expected segments (out lane):");
            foreach (var d in outDefs) sb.Append("    ").Append(d.Name).Append(" = ").AppendLine(d.Text);
        }
        if (legend.Count > 0)
        {
            sb.AppendLine("  kernel segments (seq relative to its ISN, TSval relative to its SYN's; named after the definition they match, numbered otherwise):");
            foreach (var (name, text, def, times) in legend)
            {
                sb.Append("    ").Append(name).Append(" = ").Append(text);
                if (def is not null) sb.Append("   (matches def ").Append(def.Name).Append(')');
                sb.Append("   at ").Append(string.Join(", ", times.Take(6).Select(Real))).AppendLine(times.Count > 6 ? ", …" : "");
            }
        }
        else sb.AppendLine("  kernel segments: none (the kernel sent nothing)");
        sb.Append("  linux final: received ").Append(SegmentNotation.Describe(_run.Received))
            .Append(", eof ").Append(_run.Eof ? "yes" : "no")
            .Append(", error ").Append(MarbleReport.ErrorName(_run.Error))
            .Append(_run.ErrorSource.Length > 0 ? $" (from {_run.ErrorSource})" : "").AppendLine();
        Message = sb.ToString();
    }

    /// <summary>Timing tolerance for an expected segment <paramref name="sinceScripted"/> ticks after the last scripted event.</summary>
    public static long Tolerance(long sinceScripted) => Math.Max(MinTolerance, sinceScripted / 10);

    private static Dictionary<long, List<char>> ByTime(MarbleLane lane) =>
        lane.Events.ToDictionary(e => e.Time, e => e.Symbols.ToList());

    private string At(long t) => $"{MarbleParser.FormatDuration(t)} (frame {t / _sc.Frame})";

    private static string Real(long ticks) =>
        ticks >= TimeSpan.TicksPerSecond
            ? (ticks / (double)TimeSpan.TicksPerSecond).ToString("0.000", CultureInfo.InvariantCulture) + "s"
            : (ticks / (double)TimeSpan.TicksPerMillisecond).ToString("0.0", CultureInfo.InvariantCulture) + "ms";
}
