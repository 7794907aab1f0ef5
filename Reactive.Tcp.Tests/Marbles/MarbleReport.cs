using System.Text;
using Reactive.Tcp.Diagnostics.Rendering;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Marbles;

/// <summary>
/// Compares a run with its scenario and, when they differ, renders both as marble lines on one
/// shared time axis, with a legend of the segments the stack actually sent.
/// </summary>
internal sealed class MarbleReport
{
    /// <summary>Gaps of up to this many empty frames are drawn with dashes; longer ones as a duration.</summary>
    private const int MaxDashes = 12;
    private const string AutoNames = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly MarbleScenario _sc;
    private readonly MarbleRun _run;
    private readonly List<string> _differences = new();
    private readonly Dictionary<long, List<char>> _actualOut = new();
    private readonly Dictionary<long, List<char>> _actualState = new();
    private readonly List<(char Name, string Text, SegmentPattern? Def, string? Problem)> _legend = new();

    private MarbleReport(MarbleScenario sc, MarbleRun run)
    {
        _sc = sc;
        _run = run;
    }

    public IReadOnlyList<string> Differences => _differences;
    public bool Passed => _differences.Count == 0;

    /// <summary>
    /// The failure message (empty when the run passed). Reading it also draws the actual run as an
    /// SVG sequence picture next to the test assembly and names the file in the message; runs that
    /// are meant to fail (the shifted-scenario check) never read it, so they leave no files.
    /// </summary>
    public string Message => Passed ? "" : _message ??= Render() + DrawPicture();

    private string? _message;

    /// <summary>Where failing scenarios' pictures go.</summary>
    public static string PictureDirectory => Path.Combine(AppContext.BaseDirectory, "marble-failures");

    public static MarbleReport Check(MarbleScenario sc, MarbleRun run)
    {
        var report = new MarbleReport(sc, run);
        report.Compare();
        return report;
    }

    /// <summary>The run as a traced connection: the peer's scripted segments and what the stack sent, with the states it reported.</summary>
    public TraceConnection ActualRun()
    {
        var segments = new List<TraceSegment>();
        foreach (var e in _sc.In.Events)
        {
            foreach (char c in e.Symbols)
            {
                var segment = _sc.Segments[c].Build(_sc.RemotePort, _sc.LocalPort);
                segments.Add(new TraceSegment(TimeSpan.FromTicks(e.Time + MarbleRunner.InOffset), null, false, segment, segment.Payload.Length));
            }
        }
        foreach (var sent in _run.Sent.Where(s => s.Problem is null))
            segments.Add(new TraceSegment(TimeSpan.FromTicks(sent.Time), null, true, sent.Segment, sent.Segment.Payload.Length));
        var states = _run.States.Select(s => new TraceState(TimeSpan.FromTicks(s.Time), true, StateOf(s.State))).ToList();
        if (states.Count == 0 || states[0].Time > TimeSpan.Zero) states.Insert(0, new TraceState(TimeSpan.Zero, true, TcpState.Closed));
        return new TraceConnection(
            new TraceEndpoint(_sc.LocalAddress, _sc.LocalPort), new TraceEndpoint(_sc.RemoteAddress, _sc.RemotePort), segments, states);
    }

    private static TcpState StateOf(char letter) => letter switch
    {
        'L' => TcpState.Listen,
        'S' => TcpState.SynSent,
        'R' => TcpState.SynReceived,
        'E' => TcpState.Established,
        '1' => TcpState.FinWait1,
        '2' => TcpState.FinWait2,
        'W' => TcpState.CloseWait,
        'G' => TcpState.Closing,
        'K' => TcpState.LastAck,
        'T' => TcpState.TimeWait,
        _ => TcpState.Closed, // C, and | (gone)
    };

    private string DrawPicture()
    {
        try
        {
            Directory.CreateDirectory(PictureDirectory);
            string path = Path.Combine(PictureDirectory, string.Concat(_sc.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_')) + ".svg");
            File.WriteAllText(path, SequenceSvg.Render(ActualRun(), $"Marble scenario {_sc.Name}: the actual run (times are virtual)"));
            return $"  picture of the actual run: {path}{Environment.NewLine}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"  (no picture of the actual run: {e.Message}){Environment.NewLine}";
        }
    }

    private long FrameOf(long ticks) => ticks / _sc.Frame * _sc.Frame;

    private void Compare()
    {
        _differences.AddRange(_run.Problems);

        // Out lane: name each actual segment, then compare frame by frame.
        var expectedOut = ByTime(_sc.Out);
        var used = new HashSet<char>(_sc.Segments.Keys);
        var autoNamed = new Dictionary<string, char>();
        int nextAuto = 0;
        var actualSegments = new Dictionary<long, List<SentSegment>>();
        foreach (var sent in _run.Sent)
        {
            long t = FrameOf(sent.Time);
            if (!actualSegments.TryGetValue(t, out var list)) actualSegments[t] = list = new();
            list.Add(sent);
        }
        foreach (var (t, list) in actualSegments.OrderBy(kv => kv.Key))
        {
            expectedOut.TryGetValue(t, out var want);
            var names = new List<char>();
            for (int i = 0; i < list.Count; i++)
            {
                var sent = list[i];
                string text = sent.Problem is null ? SegmentNotation.Format(sent.Segment) : SegmentNotation.Format(sent.Segment) + " — " + sent.Problem;
                char? name = null;
                SegmentPattern? def = null;
                if (sent.Problem is null)
                {
                    // The expected symbol at this position if it matches, else any out-lane definition that does.
                    if (want is not null && i < want.Count && _sc.Segments[want[i]].Matches(sent.Segment)) def = _sc.Segments[want[i]];
                    def ??= OutDefinitions().FirstOrDefault(d => d.Matches(sent.Segment));
                    name = def?.Name;
                }
                if (name is null)
                {
                    if (!autoNamed.TryGetValue(text, out char auto))
                    {
                        while (nextAuto < AutoNames.Length && used.Contains(AutoNames[nextAuto])) nextAuto++;
                        auto = nextAuto < AutoNames.Length ? AutoNames[nextAuto++] : '?';
                        used.Add(auto);
                        autoNamed[text] = auto;
                    }
                    name = auto;
                }
                names.Add(name.Value);
                if (!_legend.Any(l => l.Name == name && l.Text == text)) _legend.Add((name.Value, text, def, sent.Problem));
            }
            _actualOut[t] = names;
        }
        foreach (long t in expectedOut.Keys.Union(_actualOut.Keys).Order())
        {
            var want = expectedOut.GetValueOrDefault(t) ?? [];
            var got = _actualOut.GetValueOrDefault(t) ?? [];
            var gotSegments = actualSegments.GetValueOrDefault(t) ?? [];
            bool same = want.Count == got.Count;
            for (int i = 0; same && i < want.Count; i++)
                same = gotSegments[i].Problem is null && _sc.Segments[want[i]].Matches(gotSegments[i].Segment);
            if (!same) _differences.Add($"out at {At(t)}: expected {Cell(want, "nothing")}, got {Cell(got, "nothing")}");
        }

        // State lane: frame 0 always shows the state at its end; later frames show each change.
        var changes = _run.States.GroupBy(s => FrameOf(s.Time)).ToDictionary(g => g.Key, g => g.Select(s => s.State).ToList());
        if (!changes.ContainsKey(0)) changes[0] = ['C'];
        foreach (var (t, list) in changes)
            if (t < _sc.EndTime) _actualState[t] = list;
        if (_sc.HasState)
        {
            var expectedState = ByTime(_sc.State);
            foreach (long t in expectedState.Keys.Union(_actualState.Keys).Order())
            {
                var want = expectedState.GetValueOrDefault(t) ?? [];
                var got = _actualState.GetValueOrDefault(t) ?? [];
                if (!want.SequenceEqual(got)) _differences.Add($"state at {At(t)}: expected {Cell(want, "no change")}, got {Cell(got, "no change")}");
            }
        }

        // Final expectations.
        if (_sc.Received is { } rx)
        {
            if (rx.Exact is { } exact ? !_run.Received.AsSpan().SequenceEqual(exact) : _run.Received.Length != rx.Length)
                _differences.Add($"received: expected {(rx.Exact is { } e ? SegmentNotation.Describe(e) : rx.Length + " bytes")}, got {SegmentNotation.Describe(_run.Received)}");
        }
        if (_sc.Eof is { } eof && eof != _run.Eof)
            _differences.Add($"eof: expected {(eof ? "yes" : "no")} (Received {(eof ? "completes" : "does not complete")}), got {(_run.Eof ? "yes" : "no")}");
        if (_sc.Error is { } error && error != _run.Error)
            _differences.Add($"error: expected {ErrorName(error)}, got {ErrorName(_run.Error)}{(_run.ErrorSource.Length > 0 ? $" (from {_run.ErrorSource})" : "")}");
        if (_sc.Drops is { } drops)
        {
            var reasons = drops.Keys.Union(_run.Drops.Keys);
            if (reasons.Any(r => drops.GetValueOrDefault(r) != _run.Drops.GetValueOrDefault(r)))
                _differences.Add($"drops: expected {FormatDrops(drops)}, got {FormatDrops(_run.Drops)}");
        }
        if (_sc.Retransmissions is { } rtx && rtx != _run.Retransmissions)
            _differences.Add($"retransmissions: expected {rtx}, got {_run.Retransmissions}");
    }

    private IEnumerable<SegmentPattern> OutDefinitions()
    {
        var inOut = new HashSet<char>(_sc.Out.Events.SelectMany(e => e.Symbols));
        return _sc.Segments.Values.Where(d => inOut.Contains(d.Name));
    }

    private static Dictionary<long, List<char>> ByTime(MarbleLane lane) =>
        lane.Events.ToDictionary(e => e.Time, e => e.Symbols.ToList());

    private string At(long t) => $"{MarbleParser.FormatDuration(t)} (frame {t / _sc.Frame})";

    private static string Cell(IReadOnlyList<char> symbols, string empty) =>
        symbols.Count == 0 ? empty : symbols.Count == 1 ? symbols[0].ToString() : "(" + new string(symbols.ToArray()) + ")";

    public static string ErrorName(TcpError e) => e switch
    {
        TcpError.None => "none",
        TcpError.Refused => "refused",
        TcpError.Reset => "reset",
        TcpError.TimedOut => "timedout",
        _ => "aborted",
    };

    private static string FormatDrops(Dictionary<DropReason, long> drops) =>
        drops.Count(kv => kv.Value != 0) == 0 ? "none" : string.Join(" ", drops.Where(kv => kv.Value != 0).OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));

    private string Render()
    {
        var lanes = new List<(string Label, Dictionary<long, List<char>> Events)>
        {
            ("in", ByTime(_sc.In)),
            ("app", ByTime(_sc.App)),
            ("expected out", ByTime(_sc.Out)),
            ("actual out", _actualOut),
        };
        if (_sc.HasState) lanes.Add(("expected state", ByTime(_sc.State)));
        lanes.Add(("actual state", _actualState));

        var sb = new StringBuilder();
        sb.Append("Marble scenario ").Append(_sc.Name).Append(" failed");
        if (_sc.Title.Length > 0) sb.Append(" (").Append(_sc.Title).Append(')');
        sb.AppendLine(":");
        foreach (var d in _differences) sb.Append("  - ").AppendLine(d);
        sb.AppendLine();
        sb.Append("  frame ").Append(MarbleParser.FormatDuration(_sc.Frame)).AppendLine("; both lanes drawn on one time axis:");
        foreach (var line in Layout(lanes, _sc.Frame, _sc.EndTime)) sb.Append("  ").AppendLine(line);
        sb.AppendLine();
        var outDefs = OutDefinitions().ToList();
        if (outDefs.Count > 0)
        {
            sb.AppendLine("  expected segments (out lane):");
            foreach (var d in outDefs) sb.Append("    ").Append(d.Name).Append(" = ").AppendLine(d.Text);
        }
        if (_legend.Count > 0)
        {
            sb.AppendLine("  actual segments (named after the definition they match, numbered otherwise):");
            foreach (var (name, text, def, _) in _legend)
                sb.Append("    ").Append(name).Append(" = ").Append(text).AppendLine(def is null ? "" : $"   (matches def {def.Name})");
        }
        else sb.AppendLine("  actual segments: none (the stack sent nothing)");
        sb.Append("  actual final: received ").Append(SegmentNotation.Describe(_run.Received))
            .Append(", eof ").Append(_run.Eof ? "yes" : "no")
            .Append(", error ").Append(ErrorName(_run.Error))
            .Append(", drops ").Append(FormatDrops(_run.Drops))
            .Append(", retransmissions ").Append(_run.Retransmissions).AppendLine();
        return sb.ToString();
    }

    /// <summary>
    /// Draws lanes on one time axis: a column for every instant any lane has an event, dashes for
    /// short gaps, a duration token for long ones (measured, like in the files, from the start of
    /// the column before it). Each line is itself a valid marble lane.
    /// </summary>
    public static List<string> Layout(IReadOnlyList<(string Label, Dictionary<long, List<char>> Events)> lanes, long frame, long end)
    {
        var times = lanes.SelectMany(l => l.Events.Keys).Append(0).Where(t => t < end || end == 0).Distinct().Order().ToList();
        int labelWidth = lanes.Max(l => l.Label.Length);
        var lines = lanes.Select(l => new StringBuilder(l.Label.PadLeft(labelWidth) + ": ")).ToList();
        for (int c = 0; c < times.Count; c++)
        {
            long t = times[c];
            var cells = lanes.Select(l => l.Events.TryGetValue(t, out var s) && s.Count > 0 ? Cell(s, "-") : "-").ToList();
            int width = cells.Max(x => x.Length);
            for (int i = 0; i < lines.Count; i++) lines[i].Append(cells[i].PadRight(width));

            long next = c + 1 < times.Count ? times[c + 1] : Math.Max(end, t + frame);
            long gapFrames = (next - t) / frame - 1; // empty frames between this column and the next
            if (gapFrames <= MaxDashes)
            {
                foreach (var line in lines) line.Append('-', (int)gapFrames);
            }
            else
            {
                string token = " " + MarbleParser.FormatDuration(next - t) + " ";
                foreach (var line in lines) line.Append(token);
            }
        }
        return lines.Select(l => l.ToString().TrimEnd()).ToList();
    }
}
