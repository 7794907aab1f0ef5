namespace Reactive.Tcp.Wire;

/// <summary>
/// Builds whole IPv4 packets (header plus transport), either into a new exactly-sized array or
/// into a caller's (e.g. pooled) buffer. The IP header is always 20 bytes.
/// </summary>
public static class PacketBuilder
{
    /// <summary>Default time to live, as Linux uses.</summary>
    public const byte DefaultTtl = 64;

    private const int MaxPacketLength = ushort.MaxValue;

    /// <summary>Bytes <see cref="WriteTcp"/> needs for <paramref name="segment"/>: IP header, TCP header with options, payload.</summary>
    public static int GetTcpPacketLength(in TcpSegment segment) =>
        Ipv4Codec.MinHeaderLength + TcpCodec.GetHeaderLength(segment) + segment.PayloadLength;

    /// <summary>Bytes an ICMP echo packet with <paramref name="dataLength"/> bytes of data takes.</summary>
    public static int GetIcmpEchoPacketLength(int dataLength) => Ipv4Codec.MinHeaderLength + IcmpCodec.EchoHeaderLength + dataLength;

    /// <summary>Bytes a UDP packet with <paramref name="payloadLength"/> bytes of payload takes.</summary>
    public static int GetUdpPacketLength(int payloadLength) => Ipv4Codec.MinHeaderLength + UdpCodec.HeaderLength + payloadLength;

    /// <summary>Builds an IPv4 packet carrying <paramref name="segment"/>, with Don't Fragment set (path MTU discovery, as Linux does).</summary>
    /// <param name="source">IP source address.</param>
    /// <param name="destination">IP destination address.</param>
    /// <param name="segment">Segment to carry.</param>
    /// <param name="ttl">Time to live.</param>
    /// <param name="identification">IP identification field.</param>
    /// <returns>A new array holding exactly the packet.</returns>
    /// <exception cref="ArgumentException">The packet would exceed 65535 bytes.</exception>
    public static byte[] BuildTcp(IPv4Address source, IPv4Address destination, in TcpSegment segment, byte ttl = DefaultTtl, ushort identification = 0)
    {
        var packet = new byte[CheckedLength(GetTcpPacketLength(segment))];
        WriteTcp(packet, source, destination, segment, ttl, identification);
        return packet;
    }

    /// <summary>Writes an IPv4 packet carrying <paramref name="segment"/>, with Don't Fragment set and the segment's <see cref="TcpSegment.Ecn"/> codepoint in the TOS byte.</summary>
    /// <param name="buffer">Where to write; at least <see cref="GetTcpPacketLength"/> bytes.</param>
    /// <param name="source">IP source address.</param>
    /// <param name="destination">IP destination address.</param>
    /// <param name="segment">Segment to carry.</param>
    /// <param name="ttl">Time to live.</param>
    /// <param name="identification">IP identification field.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is too small or the packet would exceed 65535 bytes.</exception>
    public static int WriteTcp(Span<byte> buffer, IPv4Address source, IPv4Address destination, in TcpSegment segment, byte ttl = DefaultTtl, ushort identification = 0)
    {
        int total = CheckedLength(GetTcpPacketLength(segment));
        EnsureRoom(buffer, total);
        TcpCodec.Write(buffer[Ipv4Codec.MinHeaderLength..], segment, source, destination);
        WriteIpHeader(buffer, IpProtocol.Tcp, source, destination, total, ttl, identification, dontFragment: true, tos: (byte)((byte)segment.Ecn & 0b11));
        return total;
    }

    /// <summary>Builds an IPv4 packet carrying an ICMP echo reply.</summary>
    /// <param name="source">IP source address.</param>
    /// <param name="destination">IP destination address.</param>
    /// <param name="identifier">Identifier, copied from the request.</param>
    /// <param name="sequenceNumber">Sequence number, copied from the request.</param>
    /// <param name="data">Echo data, copied from the request.</param>
    /// <param name="ttl">Time to live.</param>
    /// <returns>A new array holding exactly the packet.</returns>
    /// <exception cref="ArgumentException">The packet would exceed 65535 bytes.</exception>
    public static byte[] BuildIcmpEchoReply(IPv4Address source, IPv4Address destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data, byte ttl = DefaultTtl)
    {
        var packet = new byte[CheckedLength(GetIcmpEchoPacketLength(data.Length))];
        WriteIcmpEchoReply(packet, source, destination, identifier, sequenceNumber, data, ttl);
        return packet;
    }

    /// <summary>Builds an IPv4 packet carrying an ICMP echo request.</summary>
    /// <param name="source">IP source address.</param>
    /// <param name="destination">IP destination address.</param>
    /// <param name="identifier">Identifier the reply will carry.</param>
    /// <param name="sequenceNumber">Sequence number the reply will carry.</param>
    /// <param name="data">Echo data.</param>
    /// <param name="ttl">Time to live.</param>
    /// <returns>A new array holding exactly the packet.</returns>
    /// <exception cref="ArgumentException">The packet would exceed 65535 bytes.</exception>
    public static byte[] BuildIcmpEchoRequest(IPv4Address source, IPv4Address destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data, byte ttl = DefaultTtl)
    {
        var packet = new byte[CheckedLength(GetIcmpEchoPacketLength(data.Length))];
        WriteIcmpEchoRequest(packet, source, destination, identifier, sequenceNumber, data, ttl);
        return packet;
    }

    /// <summary>Writes an IPv4 packet carrying an ICMP echo reply.</summary>
    /// <param name="buffer">Where to write; at least <see cref="GetIcmpEchoPacketLength"/> bytes.</param>
    /// <param name="source">IP source address.</param>
    /// <param name="destination">IP destination address.</param>
    /// <param name="identifier">Identifier, copied from the request.</param>
    /// <param name="sequenceNumber">Sequence number, copied from the request.</param>
    /// <param name="data">Echo data, copied from the request (must not overlap <paramref name="buffer"/> except in place).</param>
    /// <param name="ttl">Time to live.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is too small or the packet would exceed 65535 bytes.</exception>
    public static int WriteIcmpEchoReply(Span<byte> buffer, IPv4Address source, IPv4Address destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data, byte ttl = DefaultTtl)
    {
        int total = CheckedLength(GetIcmpEchoPacketLength(data.Length));
        EnsureRoom(buffer, total);
        IcmpCodec.WriteEchoReply(buffer[Ipv4Codec.MinHeaderLength..], identifier, sequenceNumber, data);
        WriteIpHeader(buffer, IpProtocol.Icmp, source, destination, total, ttl, 0, dontFragment: false);
        return total;
    }

    /// <summary>Writes an IPv4 packet carrying an ICMP echo request.</summary>
    /// <param name="buffer">Where to write; at least <see cref="GetIcmpEchoPacketLength"/> bytes.</param>
    /// <param name="source">IP source address.</param>
    /// <param name="destination">IP destination address.</param>
    /// <param name="identifier">Identifier the reply will carry.</param>
    /// <param name="sequenceNumber">Sequence number the reply will carry.</param>
    /// <param name="data">Echo data.</param>
    /// <param name="ttl">Time to live.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is too small or the packet would exceed 65535 bytes.</exception>
    public static int WriteIcmpEchoRequest(Span<byte> buffer, IPv4Address source, IPv4Address destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data, byte ttl = DefaultTtl)
    {
        int total = CheckedLength(GetIcmpEchoPacketLength(data.Length));
        EnsureRoom(buffer, total);
        IcmpCodec.WriteEchoRequest(buffer[Ipv4Codec.MinHeaderLength..], identifier, sequenceNumber, data);
        WriteIpHeader(buffer, IpProtocol.Icmp, source, destination, total, ttl, 0, dontFragment: false);
        return total;
    }

    /// <summary>Builds an IPv4 packet carrying a UDP datagram.</summary>
    /// <param name="source">IP source address.</param>
    /// <param name="destination">IP destination address.</param>
    /// <param name="sourcePort">UDP source port.</param>
    /// <param name="destinationPort">UDP destination port.</param>
    /// <param name="payload">Payload bytes.</param>
    /// <param name="ttl">Time to live.</param>
    /// <returns>A new array holding exactly the packet.</returns>
    /// <exception cref="ArgumentException">The packet would exceed 65535 bytes.</exception>
    public static byte[] BuildUdp(IPv4Address source, IPv4Address destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, byte ttl = DefaultTtl)
    {
        var packet = new byte[CheckedLength(GetUdpPacketLength(payload.Length))];
        WriteUdp(packet, source, destination, sourcePort, destinationPort, payload, ttl);
        return packet;
    }

    /// <summary>Writes an IPv4 packet carrying a UDP datagram.</summary>
    /// <param name="buffer">Where to write; at least <see cref="GetUdpPacketLength"/> bytes.</param>
    /// <param name="source">IP source address.</param>
    /// <param name="destination">IP destination address.</param>
    /// <param name="sourcePort">UDP source port.</param>
    /// <param name="destinationPort">UDP destination port.</param>
    /// <param name="payload">Payload bytes.</param>
    /// <param name="ttl">Time to live.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is too small or the packet would exceed 65535 bytes.</exception>
    public static int WriteUdp(Span<byte> buffer, IPv4Address source, IPv4Address destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, byte ttl = DefaultTtl)
    {
        int total = CheckedLength(GetUdpPacketLength(payload.Length));
        EnsureRoom(buffer, total);
        UdpCodec.Write(buffer[Ipv4Codec.MinHeaderLength..], sourcePort, destinationPort, payload, source, destination);
        WriteIpHeader(buffer, IpProtocol.Udp, source, destination, total, ttl, 0, dontFragment: false);
        return total;
    }

    /// <summary>
    /// Builds an ICMP Destination Unreachable from <paramref name="source"/> about
    /// <paramref name="offending"/>, quoting its IP header and first 8 transport bytes (RFC 792),
    /// sent back to the offending packet's source.
    /// </summary>
    /// <param name="source">The reporting node's address (the stack, or a router).</param>
    /// <param name="offending">The packet that could not be delivered, starting at its IP header.</param>
    /// <param name="code">Why it could not be delivered.</param>
    /// <param name="nextHopMtu">Next-hop MTU for <see cref="UnreachableCode.FragmentationNeeded"/>; 0 otherwise.</param>
    /// <param name="ttl">Time to live.</param>
    /// <returns>A new array holding exactly the packet.</returns>
    /// <exception cref="ArgumentException"><paramref name="offending"/> is shorter than an IPv4 header.</exception>
    public static byte[] BuildDestinationUnreachable(IPv4Address source, ReadOnlySpan<byte> offending, UnreachableCode code, ushort nextHopMtu = 0, byte ttl = DefaultTtl)
    {
        if (offending.Length < Ipv4Codec.MinHeaderLength)
            throw new ArgumentException("The offending packet is shorter than an IPv4 header.", nameof(offending));
        var quote = offending[..IcmpCodec.QuoteLength(offending)];
        int total = Ipv4Codec.MinHeaderLength + IcmpCodec.ErrorHeaderLength + quote.Length;
        var packet = new byte[total];
        IcmpCodec.WriteDestinationUnreachable(packet.AsSpan(Ipv4Codec.MinHeaderLength), code, nextHopMtu, quote);
        WriteIpHeader(packet, IpProtocol.Icmp, source, IPv4Address.Read(offending[12..]), total, ttl, 0, dontFragment: false);
        return packet;
    }

    /// <summary>
    /// Builds an ICMP Time Exceeded / fragment reassembly time exceeded (RFC 792) about a datagram
    /// whose first fragment arrived but whose reassembly timed out, sent back to its source.
    /// </summary>
    /// <param name="source">Our address.</param>
    /// <param name="firstFragment">The datagram's first fragment (offset 0), at least its IP header; it is quoted up to 8 data bytes.</param>
    /// <param name="ttl">Time to live.</param>
    /// <returns>A new array holding exactly the packet.</returns>
    /// <exception cref="ArgumentException"><paramref name="firstFragment"/> is shorter than an IPv4 header.</exception>
    public static byte[] BuildReassemblyTimeExceeded(IPv4Address source, ReadOnlySpan<byte> firstFragment, byte ttl = DefaultTtl)
    {
        if (firstFragment.Length < Ipv4Codec.MinHeaderLength)
            throw new ArgumentException("The first fragment is shorter than an IPv4 header.", nameof(firstFragment));
        var quote = firstFragment[..IcmpCodec.QuoteLength(firstFragment)];
        int total = Ipv4Codec.MinHeaderLength + IcmpCodec.ErrorHeaderLength + quote.Length;
        var packet = new byte[total];
        IcmpCodec.WriteReassemblyTimeExceeded(packet.AsSpan(Ipv4Codec.MinHeaderLength), quote);
        WriteIpHeader(packet, IpProtocol.Icmp, source, IPv4Address.Read(firstFragment[12..]), total, ttl, 0, dontFragment: false);
        return packet;
    }

    // The transport is written first and the IP header last because the header's total length
    // (and so its checksum) depends on what the transport wrote.
    private static void WriteIpHeader(Span<byte> buffer, IpProtocol protocol, IPv4Address source, IPv4Address destination,
        int total, byte ttl, ushort identification, bool dontFragment, byte tos = 0)
    {
        var header = new Ipv4Header
        {
            HeaderLength = Ipv4Codec.MinHeaderLength,
            Tos = tos,
            TotalLength = (ushort)total,
            Identification = identification,
            DontFragment = dontFragment,
            Ttl = ttl,
            Protocol = protocol,
            Source = source,
            Destination = destination,
        };
        Ipv4Codec.Write(buffer, header);
    }

    private static int CheckedLength(int total) =>
        total <= MaxPacketLength ? total : throw new ArgumentException($"An IPv4 packet holds at most {MaxPacketLength} bytes; this one would be {total}.");

    private static void EnsureRoom(Span<byte> buffer, int total)
    {
        if (buffer.Length < total)
            throw new ArgumentException($"Need {total} bytes for this packet, got {buffer.Length}.", nameof(buffer));
    }
}
