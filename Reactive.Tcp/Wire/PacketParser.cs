namespace Reactive.Tcp.Wire;

/// <summary>Turns a raw IPv4 frame into an <see cref="InboundPacket"/>, or into the reason it must be dropped.</summary>
public static class PacketParser
{
    /// <summary>
    /// Validates the IPv4 header, then the transport: TCP, ICMP echo or Destination Unreachable, or
    /// UDP. Fragments are reported as <see cref="DropReason.Fragment"/> (a stack reassembles them
    /// first, with its own limits, and parses the whole datagram), other protocols are
    /// <see cref="DropReason.UnsupportedProtocol"/>. Never throws, whatever the bytes.
    /// </summary>
    /// <param name="frame">A raw IPv4 packet, possibly followed by link-layer padding.</param>
    /// <param name="packet">The packet on success; default otherwise.</param>
    /// <returns><see cref="DropReason.None"/> on success, else why the frame is dropped.</returns>
    public static DropReason Parse(ReadOnlyMemory<byte> frame, out InboundPacket packet)
    {
        packet = default;
        var reason = Ipv4Codec.TryParse(frame.Span, out var ip);
        if (reason != DropReason.None) return reason;
        if (ip.IsFragment) return DropReason.Fragment;

        var whole = frame[..ip.TotalLength];
        var transport = whole[ip.HeaderLength..];
        switch (ip.Protocol)
        {
            case IpProtocol.Tcp:
                reason = TcpCodec.TryParse(transport, ip.Source, ip.Destination, out var tcp);
                if (reason != DropReason.None) return reason;
                tcp.Ecn = (IpEcn)(ip.Tos & 0b11); // the step reacts to congestion marks (RFC 3168)
                packet = new InboundPacket(ip, tcp, whole);
                return reason;
            case IpProtocol.Icmp when transport.Length > 0 && transport.Span[0] == (byte)IcmpType.DestinationUnreachable:
                reason = IcmpCodec.TryParseError(transport.Span, out var error);
                if (reason == DropReason.None) packet = new InboundPacket(ip, error, whole);
                return reason;
            case IpProtocol.Icmp:
                reason = IcmpCodec.TryParseEcho(transport, out var icmp);
                if (reason == DropReason.None) packet = new InboundPacket(ip, icmp, whole);
                return reason;
            case IpProtocol.Udp:
                reason = UdpCodec.TryParse(transport, ip.Source, ip.Destination, out var udp);
                if (reason == DropReason.None) packet = new InboundPacket(ip, udp, whole);
                return reason;
            default:
                return DropReason.UnsupportedProtocol;
        }
    }
}
