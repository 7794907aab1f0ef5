namespace Reactive.Tcp.Wire;

/// <summary>What an <see cref="InboundPacket"/> carries.</summary>
public enum PacketKind : byte
{
    /// <summary>Nothing (a default value, or a packet that failed to parse).</summary>
    None = 0,
    /// <summary>A TCP segment.</summary>
    Tcp,
    /// <summary>An ICMP echo request or reply.</summary>
    IcmpEcho,
    /// <summary>A UDP datagram.</summary>
    Udp,
    /// <summary>An ICMP Destination Unreachable error.</summary>
    IcmpError,
}
