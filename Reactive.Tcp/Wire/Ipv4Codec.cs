using System.Buffers.Binary;

namespace Reactive.Tcp.Wire;

/// <summary>Reads and writes IPv4 headers (RFC 791). Never throws on malformed input: it reports a <see cref="DropReason"/>.</summary>
public static class Ipv4Codec
{
    /// <summary>Length of a header without options.</summary>
    public const int MinHeaderLength = 20;

    private const ushort DontFragmentBit = 0x4000;
    private const ushort MoreFragmentsBit = 0x2000;
    private const ushort OffsetMask = 0x1FFF;

    /// <summary>
    /// Parses and validates an IPv4 header. Bytes past the total length (link-layer padding) are
    /// ignored. Fragments parse successfully with <see cref="Ipv4Header.IsFragment"/> set; whether
    /// to drop them is the caller's decision.
    /// </summary>
    /// <param name="packet">The packet, starting at the IP header.</param>
    /// <param name="header">The header on success; default otherwise.</param>
    /// <returns><see cref="DropReason.None"/> on success, else why the packet is invalid.</returns>
    public static DropReason TryParse(ReadOnlySpan<byte> packet, out Ipv4Header header)
    {
        header = default;
        // Version is checked before the full length so a short IPv6 packet is reported as "not
        // IPv4" (what it is) rather than as truncated IPv4.
        if (packet.Length < 1) return DropReason.Truncated;
        if (packet[0] >> 4 != 4) return DropReason.NotIPv4;
        if (packet.Length < MinHeaderLength) return DropReason.Truncated;

        int headerLength = (packet[0] & 0x0F) * 4;
        if (headerLength < MinHeaderLength || headerLength > packet.Length) return DropReason.BadHeaderLength;

        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (totalLength < headerLength || totalLength > packet.Length) return DropReason.BadTotalLength;

        if (Checksum.Compute(packet[..headerLength]) != 0) return DropReason.BadIpChecksum;

        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        header.HeaderLength = headerLength;
        header.Tos = packet[1];
        header.TotalLength = (ushort)totalLength;
        header.Identification = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        header.DontFragment = (fragment & DontFragmentBit) != 0;
        header.MoreFragments = (fragment & MoreFragmentsBit) != 0;
        header.FragmentOffset = (ushort)(fragment & OffsetMask);
        header.Ttl = packet[8];
        header.Protocol = (IpProtocol)packet[9];
        header.Source = IPv4Address.Read(packet[12..]);
        header.Destination = IPv4Address.Read(packet[16..]);
        return DropReason.None;
    }

    /// <summary>
    /// Writes a 20-byte header (no options, whatever <see cref="Ipv4Header.HeaderLength"/> says)
    /// with its checksum. <see cref="Ipv4Header.TotalLength"/> must already count the payload.
    /// </summary>
    /// <param name="destination">Where to write; at least 20 bytes.</param>
    /// <param name="header">Fields to write.</param>
    /// <returns>20, the bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 20 bytes.</exception>
    public static int Write(Span<byte> destination, in Ipv4Header header)
    {
        if (destination.Length < MinHeaderLength)
            throw new ArgumentException($"Need {MinHeaderLength} bytes for an IPv4 header.", nameof(destination));

        var h = destination[..MinHeaderLength];
        h[0] = 0x45;
        h[1] = header.Tos;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], header.TotalLength);
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], header.Identification);
        ushort fragment = (ushort)((header.FragmentOffset & OffsetMask)
            | (header.DontFragment ? DontFragmentBit : 0)
            | (header.MoreFragments ? MoreFragmentsBit : 0));
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], fragment);
        h[8] = header.Ttl;
        h[9] = (byte)header.Protocol;
        h[10] = 0;
        h[11] = 0;
        header.Source.Write(h[12..]);
        header.Destination.Write(h[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h));
        return MinHeaderLength;
    }
}
