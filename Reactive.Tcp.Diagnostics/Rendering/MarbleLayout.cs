using System.Globalization;
using System.Text;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>Draws marble lanes on one time axis, in the syntax <c>marbles/README.md</c> describes.</summary>
internal static class MarbleLayout
{
    /// <summary>Gaps of up to this many empty frames are drawn with dashes; longer ones as a duration.</summary>
    private const int MaxDashes = 12;

    /// <summary>
    /// One line per lane: a column for every instant any lane has an event, dashes for short gaps,
    /// a duration token for long ones (measured from the start of the column before it, as the
    /// marble parser reads it).
    /// </summary>
    public static List<string> Lanes(IReadOnlyList<(string Label, Dictionary<long, List<char>> Events)> lanes, long frame, long end)
    {
        var times = lanes.SelectMany(l => l.Events.Keys).Append(0).Where(t => t < end).Distinct().Order().ToList();
        int labelWidth = lanes.Max(l => l.Label.Length) + 1;
        var lines = lanes.Select(l => new StringBuilder((l.Label + ":").PadRight(labelWidth + 1))).ToList();
        for (int c = 0; c < times.Count; c++)
        {
            long t = times[c];
            var cells = lanes.Select(l => l.Events.TryGetValue(t, out var s) && s.Count > 0 ? Cell(s) : "-").ToList();
            int width = cells.Max(x => x.Length);
            for (int i = 0; i < lines.Count; i++) lines[i].Append(cells[i].PadRight(width));

            long next = c + 1 < times.Count ? times[c + 1] : Math.Max(end, t + frame);
            long gapFrames = (next - t) / frame - 1;
            if (gapFrames <= MaxDashes)
            {
                foreach (var line in lines) line.Append('-', (int)gapFrames);
            }
            else
            {
                string token = " " + Duration(next - t) + " ";
                foreach (var line in lines) line.Append(token);
            }
        }
        return lines.Select(l => l.ToString().TrimEnd()).ToList();
    }

    /// <summary>A duration as marble files write it: <c>500us</c>, <c>3ms</c>, <c>2s</c>.</summary>
    public static string Duration(long ticks)
    {
        if (ticks % TimeSpan.TicksPerSecond == 0) return (ticks / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture) + "s";
        if (ticks % TimeSpan.TicksPerMillisecond == 0) return (ticks / TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture) + "ms";
        return (ticks / 10m).ToString(CultureInfo.InvariantCulture) + "us";
    }

    private static string Cell(List<char> symbols) => symbols.Count == 1 ? symbols[0].ToString() : "(" + new string(symbols.ToArray()) + ")";
}
