using System.Buffers.Binary;
using Reactive.Tcp.Wire;

namespace RxTcp.Fuzz;

/// <summary>
/// Rewrites a fuzzed frame so that it can get past the checks a blind mutator almost never
/// satisfies by chance (addresses, ports, sequence numbers near the live ones, checksums), letting
/// AFL spend its time on the TCP state machine instead of on the checksum test.
/// </summary>
public static class FrameFixer
{
    /// <summary>Rewrite addresses, ports and treat seq/ack as offsets from the live connection.</summary>
    public const byte Relative = 1;
    /// <summary>Recompute the IP header checksum and the transport checksum.</summary>
    public const byte FixChecksums = 2;
    /// <summary>With <see cref="Relative"/>: aim at the stack's outgoing (SYN-SENT) connection instead of the accepted one.</summary>
    public const byte ToActiveOpen = 4;
    /// <summary>
    /// The record starts with a fragmentation plan: a count, then that many (offset in 8-byte
    /// units, length in bytes, 0 = to the end) pairs; the frame after it is cut into those IPv4
    /// fragments (in the plan's order, so out of order, overlapping, tiny or missing pieces are all
    /// expressible) and each is injected. A count of 0 injects the frame whole.
    /// </summary>
    public const byte Fragment = 8;
    /// <summary>
    /// The record (after any fragmentation plan) is an ICMP Destination Unreachable from the peer:
    /// code, next-hop MTU (u16), then the quoted datagram. With <see cref="Relative"/> the quote is
    /// rebased as a segment the stack sent (its addresses and ports, seq as an offset from the first
    /// byte it has outstanding), so the error reaches a live connection with a valid quoted seq.
    /// </summary>
    public const byte IcmpError = 16;
    /// <summary>With <see cref="Relative"/>: aim at the listener whose backlog is 0, so every SYN gets a SYN cookie and an ACK's ack is an offset from the last cookie + 1.</summary>
    public const byte ToCookieListener = 32;

    /// <summary>Most fragments one record can be cut into.</summary>
    public const int MaxFragments = 32;

    /// <summary>The live values a relative frame is rebased on.</summary>
    public readonly record struct Target(IPv4Address Source, IPv4Address Destination, ushort SourcePort, ushort DestinationPort, uint SeqBase, uint AckBase);

    /// <summary>Applies <paramref name="flags"/> to <paramref name="frame"/> in place; any layout is accepted, odd ones are left alone.</summary>
    public static void Apply(Span<byte> frame, byte flags, in Target target)
    {
        if (frame.Length < 20 || (frame[0] >> 4) != 4) return;
        int ihl = (frame[0] & 0xF) * 4;
        if (ihl < 20 || ihl > frame.Length) return;
        int total = Math.Clamp(BinaryPrimitives.ReadUInt16BigEndian(frame[2..]), ihl, frame.Length);
        var transport = frame[ihl..total];
        byte protocol = frame[9];

        if ((flags & Relative) != 0)
        {
            target.Source.Write(frame[12..]);
            target.Destination.Write(frame[16..]);
            if (protocol == 6 && transport.Length >= 20)
            {
                BinaryPrimitives.WriteUInt16BigEndian(transport, target.SourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(transport[2..], target.DestinationPort);
                BinaryPrimitives.WriteUInt32BigEndian(transport[4..], unchecked(BinaryPrimitives.ReadUInt32BigEndian(transport[4..]) + target.SeqBase));
                BinaryPrimitives.WriteUInt32BigEndian(transport[8..], unchecked(BinaryPrimitives.ReadUInt32BigEndian(transport[8..]) + target.AckBase));
            }
        }

        if ((flags & FixChecksums) != 0)
        {
            frame[10] = frame[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(frame[10..], Checksum.Compute(frame[..ihl]));
            var source = IPv4Address.Read(frame[12..]);
            var destination = IPv4Address.Read(frame[16..]);
            switch (protocol)
            {
                case 6 when transport.Length >= 20:
                    transport[16] = transport[17] = 0;
                    BinaryPrimitives.WriteUInt16BigEndian(transport[16..], Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, transport.Length), transport)));
                    break;
                case 17 when transport.Length >= 8:
                    transport[6] = transport[7] = 0;
                    var sum = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Udp, transport.Length), transport));
                    BinaryPrimitives.WriteUInt16BigEndian(transport[6..], sum == 0 ? (ushort)0xFFFF : sum);
                    break;
                case 1 when transport.Length >= 8:
                    transport[2] = transport[3] = 0;
                    BinaryPrimitives.WriteUInt16BigEndian(transport[2..], Checksum.Compute(transport));
                    break;
            }
        }
    }

    /// <summary>
    /// Turns one record into the frames to inject: reads the fragmentation plan and ICMP error
    /// header the flags ask for, applies <see cref="Apply"/>, then wraps and cuts as planned.
    /// </summary>
    public static List<byte[]> Frames(byte flags, byte[] record, in Target target)
    {
        var body = record.AsSpan();
        Span<(int Offset, int Length)> plan = stackalloc (int, int)[MaxFragments];
        int pieces = 0;
        if ((flags & Fragment) != 0 && body.Length > 0)
        {
            int count = Math.Min(body[0] % (MaxFragments + 1), (body.Length - 1) / 2);
            for (int i = 0; i < count; i++) plan[pieces++] = (body[1 + 2 * i] * 8, body[2 + 2 * i]);
            body = body[(1 + 2 * count)..];
        }
        byte[] frame;
        if ((flags & IcmpError) != 0 && body.Length >= 3)
        {
            var quoted = body[3..].ToArray();
            // The quote is a segment the stack sent: its side is the source, its outstanding data the seq base.
            Apply(quoted, flags, new Target(target.Destination, target.Source, target.DestinationPort, target.SourcePort, target.AckBase, target.SeqBase));
            frame = new byte[20 + 8 + quoted.Length];
            frame[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)Math.Min(frame.Length, ushort.MaxValue));
            frame[8] = 64;
            frame[9] = 1;
            target.Source.Write(frame.AsSpan(12));
            target.Destination.Write(frame.AsSpan(16));
            frame[20] = 3;
            frame[21] = body[0];
            frame[26] = body[1];
            frame[27] = body[2];
            quoted.CopyTo(frame.AsSpan(28));
            Apply(frame, (byte)(flags & FixChecksums), target);
        }
        else
        {
            frame = body.ToArray();
            Apply(frame, flags, target);
        }
        if (pieces == 0) return [frame];
        return Cut(frame, plan[..pieces], (flags & FixChecksums) != 0);
    }

    /// <summary>Cuts an IPv4 frame's payload into the planned fragments, each with a copy of its header.</summary>
    private static List<byte[]> Cut(byte[] frame, ReadOnlySpan<(int Offset, int Length)> plan, bool fixChecksums)
    {
        var fragments = new List<byte[]>(plan.Length);
        if (frame.Length < 20 || (frame[0] >> 4) != 4) return [frame];
        int ihl = (frame[0] & 0xF) * 4;
        if (ihl < 20 || ihl > frame.Length) return [frame];
        int total = Math.Clamp(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)), ihl, frame.Length);
        var payload = frame.AsSpan(ihl, total - ihl);
        foreach (var (offset, length) in plan)
        {
            if (offset > payload.Length) continue;
            int end = length == 0 ? payload.Length : Math.Min(offset + length, payload.Length);
            var piece = new byte[ihl + end - offset];
            frame.AsSpan(0, ihl).CopyTo(piece);
            payload[offset..end].CopyTo(piece.AsSpan(ihl));
            BinaryPrimitives.WriteUInt16BigEndian(piece.AsSpan(2), (ushort)piece.Length);
            BinaryPrimitives.WriteUInt16BigEndian(piece.AsSpan(6), (ushort)((end < payload.Length ? 0x2000 : 0) | offset / 8));
            if (fixChecksums)
            {
                piece[10] = piece[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(piece.AsSpan(10), Checksum.Compute(piece.AsSpan(0, ihl)));
            }
            fragments.Add(piece);
        }
        return fragments;
    }

    /// <summary>
    /// Splits a stack-target input into frames: each record is a big-endian u16 length, a flags
    /// byte, then that many bytes (cut short at the end of the input). At most <paramref name="max"/> records.
    /// </summary>
    public static IEnumerable<(byte Flags, byte[] Frame)> Records(byte[] input, int max = 64)
    {
        int i = 0, n = 0;
        while (i + 3 <= input.Length && n++ < max)
        {
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(i)), input.Length - i - 3);
            byte flags = input[i + 2];
            yield return (flags, input.AsSpan(i + 3, length).ToArray());
            i += 3 + length;
        }
    }

    /// <summary>Encodes one record of the stack-target format.</summary>
    public static byte[] Record(byte flags, ReadOnlySpan<byte> frame)
    {
        if (frame.Length > ushort.MaxValue) throw new ArgumentException("A record holds at most 65,535 bytes.", nameof(frame));
        var record = new byte[3 + frame.Length];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)frame.Length);
        record[2] = flags;
        frame.CopyTo(record.AsSpan(3));
        return record;
    }

    /// <summary>A fragmentation plan (see <see cref="Fragment"/>) followed by the frame to cut.</summary>
    public static byte[] Planned(ReadOnlySpan<byte> frame, params (byte OffsetUnits, byte Length)[] plan)
    {
        var body = new byte[1 + 2 * plan.Length + frame.Length];
        body[0] = (byte)plan.Length;
        for (int i = 0; i < plan.Length; i++) (body[1 + 2 * i], body[2 + 2 * i]) = plan[i];
        frame.CopyTo(body.AsSpan(1 + 2 * plan.Length));
        return body;
    }

    /// <summary>An ICMP error body (see <see cref="IcmpError"/>): code, next-hop MTU, quoted datagram.</summary>
    public static byte[] Icmp(byte code, ushort nextHopMtu, ReadOnlySpan<byte> quoted)
    {
        var body = new byte[3 + quoted.Length];
        body[0] = code;
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(1), nextHopMtu);
        quoted.CopyTo(body.AsSpan(3));
        return body;
    }
}
