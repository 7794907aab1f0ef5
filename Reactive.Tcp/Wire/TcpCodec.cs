using System.Buffers.Binary;

namespace Reactive.Tcp.Wire;

/// <summary>
/// Reads and writes TCP segments (RFC 9293) with their options (RFC 7323 timestamps and window
/// scale, RFC 2018 SACK) and checksum. Parsing never throws on malformed input.
/// </summary>
public static class TcpCodec
{
    /// <summary>Length of a header without options.</summary>
    public const int MinHeaderLength = 20;

    private const byte KindEol = 0, KindNop = 1, KindMss = 2, KindWindowScale = 3,
        KindSackPermitted = 4, KindSack = 5, KindTimestamps = 8;

    /// <summary>
    /// Parses a TCP segment and verifies its checksum. The payload is a slice of
    /// <paramref name="segment"/>, not a copy.
    /// </summary>
    /// <param name="segment">TCP header and payload (the IP payload, trimmed to the IP total length).</param>
    /// <param name="source">IP source address, for the pseudo-header.</param>
    /// <param name="destination">IP destination address, for the pseudo-header.</param>
    /// <param name="result">The segment on success; default otherwise.</param>
    /// <returns><see cref="DropReason.None"/> on success, else why the segment is invalid.</returns>
    public static DropReason TryParse(ReadOnlyMemory<byte> segment, IPv4Address source, IPv4Address destination, out TcpSegment result)
    {
        result = default;
        var s = segment.Span;
        if (s.Length < MinHeaderLength) return DropReason.Truncated;

        int headerLength = (s[12] >> 4) * 4;
        if (headerLength < MinHeaderLength || headerLength > s.Length) return DropReason.BadDataOffset;

        uint sum = Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, s.Length), s);
        if (Checksum.Fold(sum) != 0) return DropReason.BadTcpChecksum;

        if (!TryParseOptions(s[MinHeaderLength..headerLength], ref result.Options))
        {
            result = default;
            return DropReason.BadOption;
        }

        result.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(s);
        result.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(s[2..]);
        result.Seq = new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(s[4..]));
        result.Ack = new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(s[8..]));
        result.Flags = (TcpFlags)s[13];
        result.Window = BinaryPrimitives.ReadUInt16BigEndian(s[14..]);
        result.UrgentPointer = BinaryPrimitives.ReadUInt16BigEndian(s[18..]);
        result.Payload = segment[headerLength..];
        return DropReason.None;
    }

    /// <summary>Header bytes <see cref="Write"/> produces for <paramref name="segment"/>: 20 plus the options' <see cref="TcpOptions.WireLength"/>.</summary>
    public static int GetHeaderLength(in TcpSegment segment) => MinHeaderLength + segment.Options.WireLength;

    /// <summary>
    /// Writes header, options, payload and checksum. Options go in Linux's order and padding
    /// (MSS; SACK-permitted + timestamps or NOP NOP timestamps; NOP window scale; NOP NOP
    /// SACK-permitted when there are no timestamps; NOP NOP SACK blocks), so every option sits
    /// on a 4-byte boundary and no trailing padding is needed.
    /// </summary>
    /// <param name="buffer">Where to write; at least <see cref="GetHeaderLength"/> plus the payload length.</param>
    /// <param name="segment">Segment to write.</param>
    /// <param name="source">IP source address, for the pseudo-header.</param>
    /// <param name="destination">IP destination address, for the pseudo-header.</param>
    /// <returns>Bytes written (header, options and payload).</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is too small.</exception>
    public static int Write(Span<byte> buffer, in TcpSegment segment, IPv4Address source, IPv4Address destination)
    {
        int headerLength = GetHeaderLength(segment);
        int length = headerLength + segment.PayloadLength;
        if (buffer.Length < length)
            throw new ArgumentException($"Need {length} bytes for this TCP segment, got {buffer.Length}.", nameof(buffer));

        var s = buffer[..length];
        BinaryPrimitives.WriteUInt16BigEndian(s, segment.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], segment.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(s[4..], segment.Seq.Value);
        BinaryPrimitives.WriteUInt32BigEndian(s[8..], segment.Ack.Value);
        s[12] = (byte)(headerLength / 4 << 4);
        s[13] = (byte)segment.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(s[14..], segment.Window);
        s[16] = 0;
        s[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(s[18..], segment.UrgentPointer);
        WriteOptions(s[MinHeaderLength..headerLength], segment.Options);
        segment.PayloadHead.Span.CopyTo(s[headerLength..]);
        segment.PayloadTail.Span.CopyTo(s[(headerLength + segment.PayloadHead.Length)..]);

        uint sum = Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, length), s);
        BinaryPrimitives.WriteUInt16BigEndian(s[16..], Checksum.Fold(sum));
        return length;
    }

    /// <summary>Parses the options area of a TCP header (after the fixed 20 bytes) into <paramref name="options"/>.</summary>
    /// <param name="o">The options bytes.</param>
    /// <param name="options">Filled in with what the options say.</param>
    /// <returns>False when an option is malformed (a length that runs past the area, a known option of the wrong length).</returns>
    public static bool TryParseOptions(ReadOnlySpan<byte> o, ref TcpOptions options)
    {
        int i = 0;
        while (i < o.Length)
        {
            byte kind = o[i];
            if (kind == KindEol) break;
            if (kind == KindNop)
            {
                i++;
                continue;
            }
            // Every other kind has a length byte counting kind and length themselves; a bad one
            // leaves no way to find the next option, so the whole segment is suspect.
            if (i + 1 >= o.Length) return false;
            int length = o[i + 1];
            if (length < 2 || length > o.Length - i) return false;
            var body = o.Slice(i + 2, length - 2);

            switch (kind)
            {
                case KindMss:
                    if (length != 4) return false;
                    options.Mss = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case KindWindowScale:
                    if (length != 3) return false;
                    options.HasWindowScale = true;
                    options.WindowScale = body[0];
                    break;
                case KindSackPermitted:
                    if (length != 2) return false;
                    options.SackPermitted = true;
                    break;
                case KindSack:
                    if (body.Length < 8 || body.Length > 32 || body.Length % 8 != 0) return false;
                    options.SackCount = body.Length / 8;
                    for (int b = 0; b < options.SackCount; b++)
                    {
                        options.Sack[b] = new SackBlock(
                            new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8)..])),
                            new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(body[(b * 8 + 4)..])));
                    }
                    break;
                case KindTimestamps:
                    if (length != 10) return false;
                    options.HasTimestamps = true;
                    options.TsVal = BinaryPrimitives.ReadUInt32BigEndian(body);
                    options.TsEcr = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    break;
                // Unknown kinds (MD5, TCP-AO, MPTCP, experiments…) are skipped by their length.
            }
            i += length;
        }
        return true;
    }

    private static void WriteOptions(Span<byte> o, in TcpOptions options)
    {
        int i = 0;
        if (options.Mss != 0)
        {
            o[0] = KindMss;
            o[1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(o[2..], options.Mss);
            i = 4;
        }
        if (options.HasTimestamps)
        {
            // SACK-permitted rides in the two bytes that would otherwise be NOP padding.
            if (options.SackPermitted)
            {
                o[i] = KindSackPermitted;
                o[i + 1] = 2;
            }
            else
            {
                o[i] = KindNop;
                o[i + 1] = KindNop;
            }
            o[i + 2] = KindTimestamps;
            o[i + 3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(o[(i + 4)..], options.TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(o[(i + 8)..], options.TsEcr);
            i += 12;
        }
        if (options.HasWindowScale)
        {
            o[i] = KindNop;
            o[i + 1] = KindWindowScale;
            o[i + 2] = 3;
            o[i + 3] = options.WindowScale;
            i += 4;
        }
        if (options.SackPermitted && !options.HasTimestamps)
        {
            o[i] = KindNop;
            o[i + 1] = KindNop;
            o[i + 2] = KindSackPermitted;
            o[i + 3] = 2;
            i += 4;
        }
        int blocks = options.WritableSackCount;
        if (blocks > 0)
        {
            o[i] = KindNop;
            o[i + 1] = KindNop;
            o[i + 2] = KindSack;
            o[i + 3] = (byte)(2 + 8 * blocks);
            i += 4;
            for (int b = 0; b < blocks; b++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(o[i..], options.Sack[b].Left.Value);
                BinaryPrimitives.WriteUInt32BigEndian(o[(i + 4)..], options.Sack[b].Right.Value);
                i += 8;
            }
        }
        // The layout above always fills the WireLength bytes exactly; clearing (EOL) whatever is
        // left keeps stale buffer bytes off the wire should the two ever drift apart.
        o[i..].Clear();
    }
}
