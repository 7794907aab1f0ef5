namespace Reactive.Tcp.Wire;

/// <summary>
/// A validated inbound IPv4 packet: its IP header and the one transport value <see cref="Kind"/>
/// names. Payloads slice the frame it was parsed from and live only as long as that buffer.
/// </summary>
/// <remarks>Fields rather than properties so large members such as <see cref="Tcp"/> can be read by reference without a copy.</remarks>
public readonly struct InboundPacket
{
    /// <summary>Which transport value is set.</summary>
    public readonly PacketKind Kind;
    /// <summary>The IP header.</summary>
    public readonly Ipv4Header Ip;
    /// <summary>The TCP segment when <see cref="Kind"/> is <see cref="PacketKind.Tcp"/>.</summary>
    public readonly TcpSegment Tcp;
    /// <summary>The echo message when <see cref="Kind"/> is <see cref="PacketKind.IcmpEcho"/>.</summary>
    public readonly IcmpEchoMessage Icmp;
    /// <summary>The datagram when <see cref="Kind"/> is <see cref="PacketKind.Udp"/>.</summary>
    public readonly UdpDatagram Udp;
    /// <summary>The error when <see cref="Kind"/> is <see cref="PacketKind.IcmpError"/>.</summary>
    public readonly IcmpErrorMessage IcmpError;
    /// <summary>The whole IP packet, trimmed to its total length (e.g. to quote in an ICMP error or a trace).</summary>
    public readonly ReadOnlyMemory<byte> Packet;

    /// <summary>A packet carrying a TCP segment.</summary>
    public InboundPacket(in Ipv4Header ip, in TcpSegment tcp, ReadOnlyMemory<byte> packet)
    {
        Kind = PacketKind.Tcp;
        Ip = ip;
        Tcp = tcp;
        Packet = packet;
    }

    /// <summary>A packet carrying an ICMP echo message.</summary>
    public InboundPacket(in Ipv4Header ip, in IcmpEchoMessage icmp, ReadOnlyMemory<byte> packet)
    {
        Kind = PacketKind.IcmpEcho;
        Ip = ip;
        Icmp = icmp;
        Packet = packet;
    }

    /// <summary>A packet carrying a UDP datagram.</summary>
    public InboundPacket(in Ipv4Header ip, in UdpDatagram udp, ReadOnlyMemory<byte> packet)
    {
        Kind = PacketKind.Udp;
        Ip = ip;
        Udp = udp;
        Packet = packet;
    }

    /// <summary>A packet carrying an ICMP Destination Unreachable error.</summary>
    public InboundPacket(in Ipv4Header ip, in IcmpErrorMessage error, ReadOnlyMemory<byte> packet)
    {
        Kind = PacketKind.IcmpError;
        Ip = ip;
        IcmpError = error;
        Packet = packet;
    }

    /// <summary>The connection a TCP packet belongs to, seen from this stack (local = IP destination).</summary>
    public ConnectionKey TcpConnectionKey => new(Ip.Destination, Tcp.DestinationPort, Ip.Source, Tcp.SourcePort);

    /// <summary>tcpdump-like text, e.g. <c>IP 10.0.0.2.5000 &gt; 10.0.0.1.80: Flags [S] seq 1 win 64240 &lt;mss 1460&gt;</c>.</summary>
    public override string ToString() => Kind switch
    {
        PacketKind.Tcp => $"IP {Ip.Source}.{Tcp.SourcePort} > {Ip.Destination}.{Tcp.DestinationPort}: Flags {Tcp}",
        PacketKind.IcmpEcho => $"IP {Ip.Source} > {Ip.Destination}: {Icmp}",
        PacketKind.Udp => $"IP {Ip.Source}.{Udp.SourcePort} > {Ip.Destination}.{Udp.DestinationPort}: UDP, length {Udp.Payload.Length}",
        PacketKind.IcmpError => $"IP {Ip.Source} > {Ip.Destination}: {IcmpError}",
        _ => "(none)",
    };
}
