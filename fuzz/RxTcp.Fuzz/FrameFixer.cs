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
        var record = new byte[3 + frame.Length];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)frame.Length);
        record[2] = flags;
        frame.CopyTo(record.AsSpan(3));
        return record;
    }
}
