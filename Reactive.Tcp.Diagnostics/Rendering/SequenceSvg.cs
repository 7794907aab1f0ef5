using System.Globalization;
using System.Text;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>
/// Draws a traced connection as a self-contained SVG sequence picture: the local side's lifeline on
/// the left, the remote side's on the right, one arrow per segment from its send time to its
/// arrival time (a fixed slant when the capture saw it at one point only), labelled with flags,
/// relative seq/ack, window and length, and each side's states written beside its lifeline.
/// </summary>
/// <remarks>
/// Time runs down the page, compressed: every instant gets its own row and a longer gap only a
/// little more room (logarithmically), with the gap written out when it is long, so a 200 ms
/// retransmission timeout and a 10 µs burst both stay readable.
/// </remarks>
public static class SequenceSvg
{
    private const int Width = 1160;
    private const int LocalX = 310;
    private const int RemoteX = 940;
    private const int Top = 96;
    private const int MinStep = 18;
    private const int RowStep = 20;
    private const int Slant = 12;
    private const double LabelAt = 0.35;
    private static readonly TimeSpan LongGap = TimeSpan.FromMilliseconds(50);

    /// <summary>Renders <paramref name="connection"/> as an SVG document.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="title">A title line; null for the connection's endpoints.</param>
    public static string Render(TraceConnection connection, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var segments = connection.Segments;

        // Rows: every instant something happens, in order, a compressed distance apart; an instant
        // at which several segments are sent gets one row for each, so no two labels share a line.
        var instants = segments.Select(s => s.Time)
            .Concat(segments.Where(s => s.Arrival is not null).Select(s => s.Arrival!.Value))
            .Concat(connection.States.Select(s => s.Time))
            .Append(TimeSpan.Zero).Distinct().Order().ToList();
        var sendsAt = segments.GroupBy(s => s.Time).ToDictionary(g => g.Key, g => g.Count());
        var rowOf = new Dictionary<TimeSpan, double>();
        var gaps = new List<(double Y, TimeSpan Gap)>();
        double y = Top;
        for (int i = 0; i < instants.Count; i++)
        {
            if (i > 0)
            {
                var gap = instants[i] - instants[i - 1];
                double step = MinStep + Math.Min(40, 6 * Math.Log10(1 + gap.Ticks / 10.0));
                if (gap >= LongGap) gaps.Add((y + step / 2, gap));
                y += step;
            }
            rowOf[instants[i]] = y;
            y += (Math.Max(1, sendsAt.GetValueOrDefault(instants[i])) - 1) * RowStep;
        }
        double bottom = y + 40;
        double height = bottom + 60;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height:0}\" viewBox=\"0 0 {Width} {height:0}\" font-family=\"ui-monospace, Menlo, Consolas, monospace\" font-size=\"11\">\n");
        svg.Append("<title>").Append(Escape(title ?? connection.ToString())).Append("</title>\n");
        svg.Append("<defs>\n");
        foreach (var (kind, color) in Colors)
            svg.Append(CultureInfo.InvariantCulture, $"  <marker id=\"arrow-{kind}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>\n");
        svg.Append("</defs>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{height:0}\" fill=\"#ffffff\"/>\n");
        svg.Append("<text x=\"16\" y=\"24\" font-size=\"14\" font-weight=\"bold\">").Append(Escape(title ?? connection.ToString())).Append("</text>\n");

        // Lifelines and their heads.
        foreach (var (x, label, endpoint) in new[] { (LocalX, "local", connection.Local), (RemoteX, "remote", connection.Remote) })
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x - 90}\" y=\"40\" width=\"180\" height=\"34\" rx=\"4\" fill=\"#eef2f7\" stroke=\"#5a6b7f\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"54\" text-anchor=\"middle\" font-weight=\"bold\">{label}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"68\" text-anchor=\"middle\">{Escape(endpoint.ToString())}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"74\" x2=\"{x}\" y2=\"{bottom:0.#}\" stroke=\"#5a6b7f\" stroke-width=\"1.5\"/>\n");
        }
        svg.Append("<text x=\"16\" y=\"86\" fill=\"#666\">time (s)</text>\n");

        foreach (var (gapY, gap) in gaps)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"16\" y1=\"{gapY:0.#}\" x2=\"{Width - 16}\" y2=\"{gapY:0.#}\" stroke=\"#bbbbbb\" stroke-dasharray=\"2,4\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(LocalX + RemoteX) / 2}\" y=\"{gapY + 4:0.#}\" text-anchor=\"middle\" fill=\"#888\" font-style=\"italic\" {Halo}>{Escape(Gap(gap))} later</text>\n");
        }

        // One arrow per segment.
        var timesDrawn = new HashSet<TimeSpan>();
        var sentSoFar = new Dictionary<TimeSpan, int>();
        foreach (var segment in segments)
        {
            var relative = connection.Relative(segment);
            int k = sentSoFar.GetValueOrDefault(segment.Time);
            sentSoFar[segment.Time] = k + 1;
            double y1 = rowOf[segment.Time] + k * RowStep;
            double y2 = segment.Arrival is { } arrival ? rowOf[arrival] : y1 + Slant;
            var (x1, x2) = segment.FromLocal ? (LocalX, RemoteX) : (RemoteX, LocalX);
            string kind = Kind(relative, segment.Length);
            string color = Colors.First(c => c.Kind == kind).Color;
            if (timesDrawn.Add(segment.Time))
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{y1 + 4:0.#}\" fill=\"#666\">{SegmentText.Seconds(segment.Time)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x1}\" y1=\"{y1:0.#}\" x2=\"{x2}\" y2=\"{y2:0.#}\" stroke=\"{color}\" stroke-width=\"1.5\" marker-end=\"url(#arrow-{kind})\"/>\n");
            // Labelled nearer the sender, where rows are apart even when several arrows converge on one arrival.
            double labelX = x1 + (x2 - x1) * LabelAt;
            double labelY = y1 + (y2 - y1) * LabelAt - 4;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelX:0.#}\" y=\"{labelY:0.#}\" text-anchor=\"middle\" fill=\"{color}\" {Halo}>{Escape(SegmentText.Short(relative, segment.Length))}</text>\n");
        }

        // States beside the lifelines: the local one's on its left, the remote one's on its right.
        // Several states entered at one instant are written as one chain (LISTEN → SYN-RECEIVED).
        var existed = new Dictionary<bool, bool> { [true] = false, [false] = false };
        var chains = new List<(TimeSpan Time, bool Local, List<string> Names)>();
        foreach (var state in connection.States)
        {
            string name = StateName(state.State, existed[state.Local]);
            existed[state.Local] |= state.State is not (TcpState.Closed or TcpState.Listen);
            var chain = chains.LastOrDefault(c => c.Local == state.Local);
            if (chain.Names is not null && chain.Time == state.Time) chain.Names.Add(name);
            else chains.Add((state.Time, state.Local, [name]));
        }
        foreach (var (time, local, names) in chains)
        {
            double sy = rowOf[time];
            int x = local ? LocalX - 8 : RemoteX + 8;
            string anchor = local ? "end" : "start";
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{sy + 4:0.#}\" text-anchor=\"{anchor}\" font-weight=\"bold\" fill=\"#6a3d9a\" {Halo}>{Escape(string.Join(" \u2192 ", names))}</text>\n");
        }

        // Key.
        double keyY = bottom + 24;
        int keyX = 16;
        foreach (var (kind, color) in Colors)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{keyX}\" y1=\"{keyY - 4:0.#}\" x2=\"{keyX + 28}\" y2=\"{keyY - 4:0.#}\" stroke=\"{color}\" stroke-width=\"1.5\" marker-end=\"url(#arrow-{kind})\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{keyX + 34}\" y=\"{keyY:0.#}\">{kind}</text>\n");
            keyX += 110;
        }
        string note = (connection.StatesInferred ? "states inferred from the segments" : "states as the stack reported them")
            + "; seq/ack relative to each side's ISN"
            + (segments.Any(s => s.Arrival is null) ? "; arrows without a known arrival are drawn with a fixed slant" : "");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{keyY + 22:0.#}\" fill=\"#666\">{Escape(note)}</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>A white outline under text so that it stays readable over lines.</summary>
    private const string Halo = "stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"";

    private static readonly (string Kind, string Color)[] Colors =
    [
        ("syn", "#1b7f3b"),
        ("data", "#1f4e9c"),
        ("ack", "#777777"),
        ("fin", "#b8860b"),
        ("rst", "#c0392b"),
    ];

    private static string Kind(in TcpSegment s, int length) =>
        s.Has(TcpFlags.Rst) ? "rst" : s.Has(TcpFlags.Syn) ? "syn" : s.Has(TcpFlags.Fin) ? "fin" : length > 0 ? "data" : "ack";

    private static string StateName(TcpState state, bool existed) =>
        state == TcpState.Closed && existed ? "CLOSED (gone)" : RxTcpMetrics.StateName(state);

    private static string Gap(TimeSpan gap) =>
        gap >= TimeSpan.FromSeconds(1)
            ? gap.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s"
            : gap.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}
