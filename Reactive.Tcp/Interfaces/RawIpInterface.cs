using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>
/// A point-to-point interface whose frames are bare IP packets (a TUN device, the virtual wire):
/// no link-layer header and no neighbours to resolve, since every packet goes to the one peer.
/// </summary>
internal sealed class RawIpInterface(int index, string name, ILink link, IReadOnlyList<InterfaceAddress> addresses)
    : NetworkInterface(index, name, link, addresses)
{
    /// <inheritdoc />
    public override void Receive(in LinkFrame frame, IObserver<ReceivedPacket> downstream) =>
        downstream.OnNext(new ReceivedPacket(this, frame.Frame));

    /// <inheritdoc />
    public override void Transmit(PooledPacket packet, IPv4Address nextHop) => Link.Send(packet);
}
