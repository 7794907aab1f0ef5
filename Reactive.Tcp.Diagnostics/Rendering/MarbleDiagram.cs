using System.Text;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>
/// Draws a traced connection as a marble scenario (the notation of <c>marbles/README.md</c>):
/// <c>local:</c>/<c>remote:</c>, one <c>def</c> per distinct segment with sequence numbers
/// relative to each side's ISN, the <c>in:</c> lane (what the remote side sent), the <c>out:</c>
/// lane (what the local side sent), the local side's <c>state:</c> lane, and a tcpdump-style legend.
/// </summary>
/// <remarks>
/// Segment names follow the marble files' habit: upper case for what the remote side sends, lower
/// case for the local side, the letter saying what the segment is (S SYN, F FIN, R RST, D data,
/// A a bare ACK) while it is free; byte-identical segments (duplicate ACKs, identical resends)
/// share a name. Names are single characters, so a long connection is drawn up to the segment
/// that runs out of them, and the text says so.
/// </remarks>
public static class MarbleDiagram
{
    private const string Digits = "1234567890";

    /// <summary>Renders <paramref name="connection"/>.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="title">A first comment line (e.g. where the capture came from); null for none.</param>
    public static string Render(TraceConnection connection, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var sb = new StringBuilder();
        if (title is not null) sb.Append("# ").AppendLine(title);
        var segments = connection.Segments;
        sb.Append("# ").Append(connection).Append(": ").Append(segments.Count).Append(segments.Count == 1 ? " segment" : " segments")
            .Append(" in ").Append(SegmentText.Seconds(connection.Duration)).Append(" s");
        if (connection.Start is { } start) sb.Append(", from ").Append(start.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture)).Append(" UTC");
        sb.AppendLine(".");
        sb.AppendLine("# Sequence numbers are relative to each side's initial sequence number (its SYN is seq 0), as tcpdump shows them;");
        sb.AppendLine(connection.StatesInferred
            ? "# the state lane is the local side's, inferred from the segments."
            : "# the state lane is the local side's, as its stack reported it.");
        sb.Append("local:  ").AppendLine(connection.Local.ToString());
        sb.Append("remote: ").AppendLine(connection.Remote.ToString());
        if (segments.Count == 0) return sb.AppendLine("# (no segments)").ToString();

        long frame = ChooseFrame(segments.Select(LaneTime));
        sb.Append("frame:  ").AppendLine(MarbleLayout.Duration(frame));
        sb.AppendLine();

        // Name the segments.
        var names = new Dictionary<(bool, string), char>();
        var used = new HashSet<char>();
        var symbols = new List<char>();
        var defs = new List<(char Name, string Text, TraceSegment First)>();
        foreach (var segment in segments)
        {
            var relative = connection.Relative(segment);
            string text = SegmentText.Marble(relative, segment.Length);
            if (!names.TryGetValue((segment.FromLocal, text), out char name))
            {
                if (PickName(relative, segment.Length, segment.FromLocal, used) is not { } picked) break;
                name = picked;
                used.Add(name);
                names[(segment.FromLocal, text)] = name;
                defs.Add((name, text, segment));
            }
            symbols.Add(name);
        }
        int drawn = symbols.Count;
        foreach (var (name, text, _) in defs) sb.Append("def ").Append(name).Append(" = ").AppendLine(text);
        sb.AppendLine();

        long Quantize(TimeSpan t) => t.Ticks / frame * frame;
        var inLane = new Dictionary<long, List<char>>();
        var outLane = new Dictionary<long, List<char>>();
        for (int i = 0; i < drawn; i++)
        {
            var lane = segments[i].FromLocal ? outLane : inLane;
            long t = Quantize(LaneTime(segments[i]));
            if (!lane.TryGetValue(t, out var list)) lane[t] = list = new List<char>();
            list.Add(symbols[i]);
        }
        var last = segments.Take(drawn).Max(LaneTime);
        long end = Quantize(last) + frame;
        var stateLane = StateLane(connection, last, Quantize);
        var lines = MarbleLayout.Lanes([("in", inLane), ("out", outLane), ("state", stateLane)], frame, end);
        foreach (var line in lines) sb.AppendLine(line);
        if (drawn < segments.Count)
            sb.Append("# Drawn up to segment ").Append(drawn).Append(" of ").Append(segments.Count)
                .AppendLine(": one-character names ran out (the legend below lists them all).");

        sb.AppendLine();
        sb.AppendLine("# Legend, tcpdump style (seconds from the connection's start, relative sequence numbers):");
        for (int i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            var (from, to) = s.FromLocal ? (connection.Local, connection.Remote) : (connection.Remote, connection.Local);
            sb.Append("#   ").Append(i < drawn ? symbols[i] : ' ').Append(' ').Append(SegmentText.Seconds(s.Time))
                .Append(" IP ").Append(from.ToTcpdumpString()).Append(" > ").Append(to.ToTcpdumpString()).Append(": ")
                .Append(SegmentText.Tcpdump(connection.Relative(s), s.Length));
            if (s.Arrival is { } arrival) sb.Append("  (arrived ").Append(SegmentText.Seconds(arrival)).Append(')');
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>
    /// When a segment is drawn: the lanes are the local side's view (a marble file's stack under
    /// test), so what it sends is drawn when sent and what it receives when it arrived, if known.
    /// </summary>
    private static TimeSpan LaneTime(TraceSegment segment) => segment.FromLocal ? segment.Time : segment.Arrival ?? segment.Time;

    /// <summary>
    /// The frame: the largest of 100us, 200us, 500us, 1ms, … 1s that is not longer than the shortest
    /// gap between segments and divides every instant exactly (so nothing moves); if none divides
    /// them all, the largest not longer than the shortest gap (instants are then rounded down to it).
    /// </summary>
    internal static long ChooseFrame(IEnumerable<TimeSpan> instants)
    {
        var times = instants.Select(t => t.Ticks).Distinct().Order().ToList();
        long gap = long.MaxValue;
        for (int i = 1; i < times.Count; i++) gap = Math.Min(gap, times[i] - times[i - 1]);
        if (gap == long.MaxValue) gap = TimeSpan.TicksPerMillisecond;
        var fitting = FrameSteps.Where(step => step <= gap).ToList();
        if (fitting.Count == 0) return FrameSteps[0];
        var exact = fitting.Where(step => times.All(t => t % step == 0)).ToList();
        return exact.Count > 0 ? exact[^1] : fitting[^1];
    }

    /// <summary>Frame lengths to choose from, in ticks: 100us (the least a marble frame may be) to 1s.</summary>
    private static readonly long[] FrameSteps = [1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000];

    private static char? PickName(in TcpSegment s, int length, bool fromLocal, HashSet<char> used)
    {
        char mnemonic = s.Has(TcpFlags.Rst) ? 'R' : s.Has(TcpFlags.Syn) ? 'S' : s.Has(TcpFlags.Fin) ? 'F' : length > 0 ? 'D' : 'A';
        var candidates = new List<char> { mnemonic };
        for (char c = 'A'; c <= 'Z'; c++) candidates.Add(c);
        candidates.AddRange(Digits);
        foreach (char c in candidates)
        {
            char name = fromLocal && char.IsLetter(c) ? char.ToLowerInvariant(c) : c;
            if (!used.Contains(name)) return name;
        }
        return null;
    }

    private static Dictionary<long, List<char>> StateLane(TraceConnection connection, TimeSpan last, Func<TimeSpan, long> quantize)
    {
        var lane = new Dictionary<long, List<char>>();
        var local = connection.States.Where(s => s.Local).ToList();
        if (local.Count == 0) return lane;
        bool existed = false;
        var firstFrame = new List<char>();
        for (int i = 0; i < local.Count; i++)
        {
            var state = local[i];
            if (state.Time > last) break;
            char letter = Letter(state.State, existed);
            existed |= state.State is not (TcpState.Closed or TcpState.Listen);
            long t = quantize(state.Time);
            if (i == 0) continue; // the initial state: shown only if frame 0 has no change
            if (!lane.TryGetValue(t, out var list)) lane[t] = list = new List<char>();
            list.Add(letter);
        }
        if (!lane.ContainsKey(0)) lane[0] = [Letter(local[0].State, existed: false)];
        return lane;
    }

    /// <summary>The marble state letters; CLOSED after the connection existed is <c>|</c>, gone.</summary>
    internal static char Letter(TcpState state, bool existed) => state switch
    {
        TcpState.Closed => existed ? '|' : 'C',
        TcpState.Listen => 'L',
        TcpState.SynSent => 'S',
        TcpState.SynReceived => 'R',
        TcpState.Established => 'E',
        TcpState.FinWait1 => '1',
        TcpState.FinWait2 => '2',
        TcpState.CloseWait => 'W',
        TcpState.Closing => 'G',
        TcpState.LastAck => 'K',
        TcpState.TimeWait => 'T',
        _ => '?',
    };
}
