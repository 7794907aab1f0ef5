using System.Buffers.Binary;

namespace Reactive.Tcp.Wire;

/// <summary>Reads and writes UDP datagrams (RFC 768) with the pseudo-header checksum.</summary>
public static class UdpCodec
{
    /// <summary>Ports, length and checksum.</summary>
    public const int HeaderLength = 8;

    /// <summary>
    /// Parses a UDP datagram. Fewer than 8 bytes → <see cref="DropReason.Truncated"/>; a length
    /// field below 8 or beyond the buffer, or a wrong checksum → <see cref="DropReason.BadUdp"/>.
    /// A zero checksum means the sender computed none (RFC 768) and is accepted. Bytes past the
    /// length field are ignored.
    /// </summary>
    /// <param name="udp">The UDP header and payload (the IP payload).</param>
    /// <param name="source">IP source address, for the pseudo-header.</param>
    /// <param name="destination">IP destination address, for the pseudo-header.</param>
    /// <param name="datagram">The datagram on success; default otherwise.</param>
    /// <returns><see cref="DropReason.None"/> on success, else why the datagram is invalid.</returns>
    public static DropReason TryParse(ReadOnlyMemory<byte> udp, IPv4Address source, IPv4Address destination, out UdpDatagram datagram)
    {
        datagram = default;
        var s = udp.Span;
        if (s.Length < HeaderLength) return DropReason.Truncated;
        int length = BinaryPrimitives.ReadUInt16BigEndian(s[4..]);
        if (length < HeaderLength || length > s.Length) return DropReason.BadUdp;
        s = s[..length];

        if (BinaryPrimitives.ReadUInt16BigEndian(s[6..]) != 0)
        {
            uint sum = Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Udp, length), s);
            if (Checksum.Fold(sum) != 0) return DropReason.BadUdp;
        }

        datagram.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(s);
        datagram.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(s[2..]);
        datagram.Payload = udp[HeaderLength..length];
        return DropReason.None;
    }

    /// <summary>Writes a UDP header, the payload and the checksum.</summary>
    /// <param name="buffer">Where to write; at least 8 bytes plus the payload.</param>
    /// <param name="sourcePort">Source port.</param>
    /// <param name="destinationPort">Destination port.</param>
    /// <param name="payload">Payload bytes.</param>
    /// <param name="source">IP source address, for the pseudo-header.</param>
    /// <param name="destination">IP destination address, for the pseudo-header.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is too small or the datagram exceeds 65535 bytes.</exception>
    public static int Write(Span<byte> buffer, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, IPv4Address source, IPv4Address destination)
    {
        int length = HeaderLength + payload.Length;
        if (length > ushort.MaxValue)
            throw new ArgumentException("A UDP datagram holds at most 65527 payload bytes.", nameof(payload));
        if (buffer.Length < length)
            throw new ArgumentException($"Need {length} bytes for this UDP datagram, got {buffer.Length}.", nameof(buffer));

        var s = buffer[..length];
        BinaryPrimitives.WriteUInt16BigEndian(s, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(s[4..], (ushort)length);
        s[6] = 0;
        s[7] = 0;
        payload.CopyTo(s[HeaderLength..]);
        ushort checksum = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Udp, length), s));
        // Zero on the wire means "no checksum", so a computed zero goes out as its other
        // ones'-complement form (RFC 768).
        BinaryPrimitives.WriteUInt16BigEndian(s[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
        return length;
    }
}
