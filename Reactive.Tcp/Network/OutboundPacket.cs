using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Network;

/// <summary>
/// One element of a stack's outbound stream: a whole IP packet (segment, RST, SYN cookie, ICMP
/// reply or error, UDP datagram) in a pooled buffer, on its way to routing and then to the link.
/// Whoever emits it hands over its reference to <see cref="Packet"/>; the outbound writer passes it
/// to the link or releases it.
/// </summary>
/// <param name="Packet">The IP packet, starting at its header.</param>
internal readonly record struct OutboundPacket(PooledPacket Packet)
{
    /// <summary>The destination address in the packet's IP header (what routing looks up).</summary>
    public IPv4Address Destination => IPv4Address.Read(Packet.Span[16..]);
}
