using System.Globalization;
using System.Text;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>A segment as text: in marble notation (<c>[P.] seq 1 ack 1 win 502 &lt;&gt; len 5 "hello"</c>) and as a tcpdump line.</summary>
internal static class SegmentText
{
    /// <summary>Payloads up to this long are quoted when printable.</summary>
    private const int MaxQuoted = 32;

    public static string Marble(in TcpSegment s, int length)
    {
        var sb = new StringBuilder(TcpSegment.FormatFlags(s.Flags));
        sb.Append(" seq ").Append(s.Seq.Value.ToString(CultureInfo.InvariantCulture));
        if (s.Has(TcpFlags.Ack) || s.Ack.Value != 0) sb.Append(" ack ").Append(s.Ack.Value.ToString(CultureInfo.InvariantCulture));
        sb.Append(" win ").Append(s.Window.ToString(CultureInfo.InvariantCulture));
        sb.Append(" <").Append(s.Options.ToString()).Append('>');
        if (length > 0)
        {
            sb.Append(" len ").Append(length.ToString(CultureInfo.InvariantCulture));
            var payload = s.Payload.Span;
            if (length <= MaxQuoted && payload.Length == length && IsPrintable(payload)) sb.Append(" \"").Append(Escape(payload)).Append('"');
        }
        return sb.ToString();
    }

    /// <summary>The middle of a tcpdump line: <c>Flags [P.], seq 1:6, ack 1, win 502, options [...], length 5</c>.</summary>
    public static string Tcpdump(in TcpSegment s, int length)
    {
        var sb = new StringBuilder("Flags ").Append(TcpSegment.FormatFlags(s.Flags));
        if (length > 0) sb.Append(", seq ").Append(s.Seq.Value).Append(':').Append(unchecked(s.Seq.Value + (uint)length));
        else if ((s.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0) sb.Append(", seq ").Append(s.Seq.Value);
        if (s.Has(TcpFlags.Ack)) sb.Append(", ack ").Append(s.Ack.Value);
        sb.Append(", win ").Append(s.Window);
        if (!s.Options.IsEmpty) sb.Append(", options [").Append(s.Options.ToString()).Append(']');
        sb.Append(", length ").Append(length);
        return sb.ToString();
    }

    /// <summary>Short label for a picture: flags, then seq (range), ack, window, length.</summary>
    public static string Short(in TcpSegment s, int length)
    {
        var sb = new StringBuilder(TcpSegment.FormatFlags(s.Flags));
        sb.Append(" seq ").Append(s.Seq.Value);
        if (length > 0) sb.Append(':').Append(unchecked(s.Seq.Value + (uint)length));
        if (s.Has(TcpFlags.Ack)) sb.Append(" ack ").Append(s.Ack.Value);
        sb.Append(" win ").Append(s.Window);
        if (length > 0) sb.Append(" len ").Append(length);
        if (s.Options.SackCount > 0)
        {
            sb.Append(" sack");
            for (int i = 0; i < s.Options.SackCount; i++) sb.Append(' ').Append(s.Options.Sack[i].Left.Value).Append(':').Append(s.Options.Sack[i].Right.Value);
        }
        return sb.ToString();
    }

    /// <summary>Seconds with microseconds, as tcpdump prints relative times: <c>0.001500</c>.</summary>
    public static string Seconds(TimeSpan time) => (time.Ticks / (decimal)TimeSpan.TicksPerSecond).ToString("0.000000", CultureInfo.InvariantCulture);

    /// <summary>True when every byte is printable ASCII or a tab, CR or LF: such payloads are shown quoted.</summary>
    internal static bool IsPrintable(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            if (b is < 0x20 or >= 0x7f && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t')) return false;
        return true;
    }

    /// <summary>The bytes as a C-like quoted-string body: control characters, quotes and backslashes escaped, other non-ASCII as <c>\xNN</c>.</summary>
    internal static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes)
        {
            sb.Append(b switch
            {
                (byte)'\n' => "\\n",
                (byte)'\r' => "\\r",
                (byte)'\t' => "\\t",
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => $"\\x{b:x2}",
            });
        }
        return sb.ToString();
    }
}
