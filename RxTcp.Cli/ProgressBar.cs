using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RxTcp.Cli;

/// <summary>
/// A one-line progress display for a two-way transfer, redrawn in place with a carriage return and
/// at most ten times a second however often <see cref="Update"/> is called. Meant for a terminal:
/// the caller decides whether to show it (see <see cref="IsWanted"/>).
/// </summary>
internal sealed class ProgressBar
{
    private static readonly long Interval = Stopwatch.Frequency / 10;

    private readonly TextWriter _writer;
    private readonly long _total;
    private readonly Func<(long ClientToServer, long ServerToClient)> _read;
    private readonly Func<TimeSpan> _elapsed;
    private readonly Func<TimeSpan>? _simulated;
    private readonly StringBuilder _line = new();
    private long _nextDraw;
    private int _lastLength;

    /// <param name="writer">Where to draw (stderr).</param>
    /// <param name="totalPerDirection">Bytes expected in each direction.</param>
    /// <param name="read">Bytes delivered so far: client → server, server → client.</param>
    /// <param name="elapsed">Wall time so far.</param>
    /// <param name="simulated">Simulated time so far, on the virtual clock.</param>
    public ProgressBar(TextWriter writer, long totalPerDirection, Func<(long, long)> read, Func<TimeSpan> elapsed, Func<TimeSpan>? simulated = null)
    {
        _writer = writer;
        _total = totalPerDirection;
        _read = read;
        _elapsed = elapsed;
        _simulated = simulated;
    }

    /// <summary>A progress bar only makes sense on a terminal and when not asked to be quiet.</summary>
    public static bool IsWanted(bool quiet) => !quiet && !Console.IsErrorRedirected;

    /// <summary>Redraws if a tenth of a second has passed since the last draw (or <paramref name="force"/>).</summary>
    public void Update(bool force = false)
    {
        long now = Stopwatch.GetTimestamp();
        if (!force && now < _nextDraw) return;
        _nextDraw = now + Interval;

        var (up, down) = _read();
        int width = TerminalWidth();
        string tail = string.Create(CultureInfo.InvariantCulture,
            $" {ByteSize.Format(up + down)} / {ByteSize.Format(2 * _total)}  {_elapsed().TotalSeconds:0.0} s");
        if (_simulated is not null)
            tail += string.Create(CultureInfo.InvariantCulture, $" (sim {_simulated().TotalSeconds:0.000} s)");
        // Two lanes of "c→s [bar] 100%" plus the tail.
        int barWidth = Math.Clamp((width - 1 - tail.Length - 2 * 13) / 2, 5, 40);

        _line.Clear();
        _line.Append('\r');
        Lane("c→s", up, barWidth);
        _line.Append(' ');
        Lane("s→c", down, barWidth);
        _line.Append(tail);
        int length = _line.Length - 1;
        if (length < _lastLength) _line.Append(' ', _lastLength - length);
        _lastLength = length;
        _writer.Write(_line.ToString());
        _writer.Flush();
    }

    /// <summary>Erases the line so that what follows starts on a clean line.</summary>
    public void Clear()
    {
        if (_lastLength == 0) return;
        _writer.Write('\r' + new string(' ', _lastLength) + '\r');
        _writer.Flush();
        _lastLength = 0;
    }

    private void Lane(string label, long done, int barWidth)
    {
        double fraction = _total == 0 ? 1 : Math.Clamp(done / (double)_total, 0, 1);
        int filled = (int)(fraction * barWidth);
        _line.Append(label).Append(" [")
            .Append('#', filled)
            .Append('.', barWidth - filled)
            .Append("] ")
            .Append(((int)(fraction * 100)).ToString(CultureInfo.InvariantCulture).PadLeft(3))
            .Append('%');
    }

    private static int TerminalWidth()
    {
        try
        {
            int width = Console.WindowWidth;
            return width > 20 ? width : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
