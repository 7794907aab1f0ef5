using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// An <see cref="ILink"/> that carries Ethernet II frames (14-byte header included, frame check
/// sequence excluded) rather than raw IP packets: a TAP device, or a port of a
/// <see cref="VirtualSwitch"/>. <see cref="ILink.Mtu"/> is still the largest IP packet, so frames
/// run up to <see cref="ILink.Mtu"/> + 14 bytes. Inbound frames may be shorter than Ethernet's
/// 60-byte minimum (devices hand them over unpadded) or padded past their payload's own length.
/// </summary>
public interface IEthernetLink : ILink
{
    /// <summary>
    /// The hardware address the host on this link uses as its own (the source of what it sends and
    /// the destination of what is for it), as a hypervisor gives a virtual NIC its address.
    /// </summary>
    MacAddress Address { get; }
}
