using Reactive.Tcp.Diagnostics.Rendering;
using System.Globalization;
using System.Text;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Marbles;

/// <summary>
/// The tcpdump-like segment notation of marble files, both ways:
/// <c>[P.] seq 1001 ack 5001 win 65535 &lt;mss 1460,wscale 7&gt; len 5 "hello"</c>.
/// </summary>
internal static class SegmentNotation
{
    /// <summary>Payload bytes used when a segment says <c>len N</c> without a string: a function of the sequence number, so retransmissions and overlaps agree.</summary>
    public static byte[] PatternBytes(uint seq, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)('a' + (uint)(seq + (uint)i) % 26);
        return bytes;
    }

    /// <summary>Bytes the application sends for <c>send N</c>: <c>ABC…Z</c> repeated.</summary>
    public static byte[] AppPattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)('A' + i % 26);
        return bytes;
    }

    public static SegmentPattern Parse(char name, string text, int line)
    {
        var r = new Reader(text, line, name);
        r.SkipSpace();
        r.Expect('[');
        var flags = TcpFlags.None;
        if (text.AsSpan(r.Pos).StartsWith("none]")) r.Pos += 4;
        while (!r.AtEnd && r.Peek != ']')
        {
            char c = r.Next();
            flags |= c switch
            {
                'S' => TcpFlags.Syn,
                'F' => TcpFlags.Fin,
                'R' => TcpFlags.Rst,
                'P' => TcpFlags.Psh,
                'U' => TcpFlags.Urg,
                'E' => TcpFlags.Ece,
                'W' => TcpFlags.Cwr,
                '.' => TcpFlags.Ack,
                _ => throw r.Error($"unknown flag '{c}' (use S F R P U E W and '.' for ACK)"),
            };
        }
        r.Expect(']');

        uint? seq = null, ack = null;
        ushort? win = null;
        TcpOptions? options = null;
        int? length = 0;
        bool lengthWritten = false;
        byte[]? payload = null;
        IpEcn? ecn = null;
        while (true)
        {
            r.SkipSpace();
            if (r.AtEnd) break;
            if (r.Peek == '<') { options = ParseOptions(r); continue; }
            if (r.Peek == '"') { payload = ParseString(r); continue; }
            string word = r.Word();
            switch (word)
            {
                case "seq": seq = r.UInt(); break;
                case "ack": ack = r.UInt(); break;
                case "win":
                    uint w = r.UInt();
                    if (w > 65535) throw r.Error("win is the raw 16-bit window field (at most 65535)");
                    win = (ushort)w;
                    break;
                case "len":
                    r.SkipSpace();
                    if (!r.AtEnd && r.Peek == '*') { r.Next(); length = null; }
                    else length = checked((int)r.UInt());
                    lengthWritten = true;
                    break;
                case "notect": ecn = IpEcn.NotEct; break;
                case "ect0": ecn = IpEcn.Ect0; break;
                case "ect1": ecn = IpEcn.Ect1; break;
                case "ce": ecn = IpEcn.Ce; break;
                default: throw r.Error($"unknown field '{word}' (expected seq, ack, win, <options>, len, \"data\", notect/ect0/ect1/ce)");
            }
        }
        if (payload is not null)
        {
            if (lengthWritten && length != payload.Length)
                throw new MarbleFormatException($"line {line}: segment '{name}' says len {(length?.ToString() ?? "*")} but its string has {payload.Length} bytes.");
            length = payload.Length;
        }
        return new SegmentPattern
        {
            Name = name,
            Text = text.Trim(),
            Flags = flags,
            Seq = seq,
            Ack = ack,
            Window = win,
            Options = options,
            Length = length,
            Payload = payload,
            Ecn = ecn,
            Line = line,
        };
    }

    private static TcpOptions ParseOptions(Reader r)
    {
        r.Expect('<');
        var o = new TcpOptions();
        while (true)
        {
            r.SkipSpace();
            if (r.AtEnd) throw r.Error("'<' without '>'");
            if (r.Peek == '>') { r.Next(); return o; }
            if (r.Peek == ',') { r.Next(); continue; }
            string word = r.Word();
            switch (word)
            {
                case "mss":
                    uint mss = r.UInt();
                    if (mss is 0 or > 65535) throw r.Error("mss must be 1..65535");
                    o.Mss = (ushort)mss;
                    break;
                case "wscale":
                    uint ws = r.UInt();
                    if (ws > 255) throw r.Error("wscale is one byte");
                    o.HasWindowScale = true;
                    o.WindowScale = (byte)ws;
                    break;
                case "sackOK": o.SackPermitted = true; break;
                case "sack":
                    // tcpdump: sack N {L:R L:R ...}
                    uint n = r.UInt();
                    if (n is 0 or > 4) throw r.Error("sack takes 1..4 blocks");
                    r.SkipSpace();
                    r.Expect('{');
                    for (int i = 0; i < n; i++)
                    {
                        r.SkipSpace();
                        uint left = r.UInt();
                        r.Expect(':');
                        uint right = r.UInt();
                        o.Sack[i] = new SackBlock(new SeqNum(left), new SeqNum(right));
                    }
                    r.SkipSpace();
                    r.Expect('}');
                    o.SackCount = (int)n;
                    break;
                case "TS":
                    r.ExpectWord("val");
                    o.TsVal = r.UInt();
                    r.ExpectWord("ecr");
                    o.TsEcr = r.UInt();
                    o.HasTimestamps = true;
                    break;
                case "nop":
                case "eol":
                    break;
                default: throw r.Error($"unknown option '{word}' (expected mss N, wscale N, sackOK, sack N {{L:R ...}}, TS val N ecr N)");
            }
        }
    }

    private static byte[] ParseString(Reader r)
    {
        r.Expect('"');
        var bytes = new List<byte>();
        while (true)
        {
            if (r.AtEnd) throw r.Error("unterminated string");
            char c = r.Next();
            if (c == '"') return bytes.ToArray();
            if (c != '\\') { bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString())); continue; }
            if (r.AtEnd) throw r.Error("unterminated escape");
            char e = r.Next();
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case '0': bytes.Add(0); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case '"': bytes.Add((byte)'"'); break;
                case 'x':
                    string hex = "" + r.Next() + r.Next();
                    if (!byte.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b)) throw r.Error($"bad escape \\x{hex}");
                    bytes.Add(b);
                    break;
                default: throw r.Error($"unknown escape \\{e}");
            }
        }
    }

    /// <summary>Parses a quoted string that stands alone (e.g. <c>received: "hello"</c>, <c>send "hello"</c>).</summary>
    public static byte[] ParseQuoted(string text, int line)
    {
        var r = new Reader(text, line, ' ');
        r.SkipSpace();
        var bytes = ParseString(r);
        r.SkipSpace();
        if (!r.AtEnd) throw r.Error("unexpected text after the string");
        return bytes;
    }

    public static bool SameOptions(in TcpOptions a, in TcpOptions b)
    {
        if (a.Mss != b.Mss || a.HasWindowScale != b.HasWindowScale || a.SackPermitted != b.SackPermitted
            || a.HasTimestamps != b.HasTimestamps || a.SackCount != b.SackCount)
            return false;
        if (a.HasWindowScale && a.WindowScale != b.WindowScale) return false;
        if (a.HasTimestamps && (a.TsVal != b.TsVal || a.TsEcr != b.TsEcr)) return false;
        for (int i = 0; i < a.SackCount; i++)
            if (a.Sack[i].Left != b.Sack[i].Left || a.Sack[i].Right != b.Sack[i].Right) return false;
        return true;
    }

    /// <summary>An actual segment in the notation, complete (so it can be pasted into a <c>def</c>).</summary>
    public static string Format(in TcpSegment s)
    {
        var sb = new StringBuilder(TcpSegment.FormatFlags(s.Flags));
        sb.Append(" seq ").Append(s.Seq.Value);
        if ((s.Flags & TcpFlags.Ack) != 0 || s.Ack.Value != 0) sb.Append(" ack ").Append(s.Ack.Value);
        sb.Append(" win ").Append(s.Window);
        sb.Append(" <").Append(s.Options.ToString()).Append('>');
        if (s.Payload.Length > 0)
        {
            sb.Append(" len ").Append(s.Payload.Length);
            if (s.Payload.Length <= 32 && SegmentText.IsPrintable(s.Payload.Span)) sb.Append(" \"").Append(SegmentText.Escape(s.Payload.Span)).Append('"');
        }
        if (s.Ecn != IpEcn.NotEct) sb.Append(' ').Append(EcnWord(s.Ecn));
        return sb.ToString();
    }

    /// <summary>The notation's word for an IP ECN codepoint.</summary>
    public static string EcnWord(IpEcn ecn) => ecn switch
    {
        IpEcn.Ect0 => "ect0",
        IpEcn.Ect1 => "ect1",
        IpEcn.Ce => "ce",
        _ => "notect",
    };

    /// <summary>Bytes as a quoted string for messages (long ones shortened).</summary>
    public static string Describe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return "nothing";
        if (bytes.Length <= 64 && SegmentText.IsPrintable(bytes)) return $"\"{SegmentText.Escape(bytes)}\" ({bytes.Length} bytes)";
        var head = bytes[..Math.Min(24, bytes.Length)];
        return $"{bytes.Length} bytes starting \"{SegmentText.Escape(head)}\"…";
    }

    private sealed class Reader(string text, int line, char name)
    {
        public int Pos;
        public bool AtEnd => Pos >= text.Length;
        public char Peek => text[Pos];
        public char Next() => AtEnd ? throw Error("unexpected end") : text[Pos++];

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(text[Pos])) Pos++;
        }

        public void Expect(char c)
        {
            SkipSpace();
            if (AtEnd || text[Pos] != c) throw Error($"expected '{c}'");
            Pos++;
        }

        public string Word()
        {
            SkipSpace();
            int start = Pos;
            while (!AtEnd && (char.IsLetterOrDigit(text[Pos]) || text[Pos] == '_')) Pos++;
            if (start == Pos) throw Error($"unexpected '{(AtEnd ? "end" : text[Pos].ToString())}'");
            return text[start..Pos];
        }

        public void ExpectWord(string word)
        {
            if (Word() != word) throw Error($"expected '{word}'");
        }

        public uint UInt()
        {
            SkipSpace();
            int start = Pos;
            while (!AtEnd && char.IsAsciiDigit(text[Pos])) Pos++;
            if (start == Pos || !uint.TryParse(text.AsSpan(start, Pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out uint v))
                throw Error("expected a number (0..4294967295)");
            return v;
        }

        public MarbleFormatException Error(string what) =>
            new($"line {line}: {(name == ' ' ? "" : $"segment '{name}': ")}{what} at column {Pos + 1} of \"{text.Trim()}\"");
    }
}
