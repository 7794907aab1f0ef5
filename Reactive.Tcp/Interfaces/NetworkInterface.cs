using System.Reactive.Linq;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>
/// One interface of a stack: a link, the addresses the stack holds on it, and its link layer —
/// how an IP packet is taken out of a frame on the way in (<see cref="Receive"/>) and put into one
/// on the way out (<see cref="Transmit"/>), including neighbour resolution where the link needs it.
/// <see cref="Transmit"/> is the only place a stack calls <see cref="ILink.Send(PooledPacket)"/>.
/// </summary>
internal abstract class NetworkInterface
{
    protected NetworkInterface(int index, string name, ILink link, IReadOnlyList<InterfaceAddress> addresses)
    {
        Index = index;
        Name = name;
        Link = link;
        Addresses = addresses;
        Frames = link.Inbound.Select(frame => new LinkFrame(this, frame));
    }

    /// <summary>Position among the stack's interfaces.</summary>
    public int Index { get; }

    /// <summary>The interface's name (from its options, or <c>if0</c>, <c>if1</c>…).</summary>
    public string Name { get; }

    /// <summary>The link.</summary>
    public ILink Link { get; }

    /// <summary>The stack's addresses on this interface.</summary>
    public IReadOnlyList<InterfaceAddress> Addresses { get; }

    /// <summary>Largest IP packet the link carries.</summary>
    public int Mtu => Link.Mtu;

    /// <summary>The link's frames, tagged with this interface.</summary>
    public IObservable<LinkFrame> Frames { get; }

    /// <summary>The address packets leaving this interface carry as their source, when nothing else decides it.</summary>
    public IPv4Address PrimaryAddress => Addresses.Count > 0 ? Addresses[0].Address : IPv4Address.Any;

    /// <summary>
    /// Takes one frame: passes the IP packet inside it to <paramref name="downstream"/>, or answers
    /// or drops it (counted) when it is link-layer business or not for this interface.
    /// </summary>
    public abstract void Receive(in LinkFrame frame, IObserver<ReceivedPacket> downstream);

    /// <summary>
    /// Sends one IP packet to <paramref name="nextHop"/> on this link, taking over the caller's
    /// reference to <paramref name="packet"/>.
    /// </summary>
    public abstract void Transmit(PooledPacket packet, IPv4Address nextHop);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({string.Join(", ", Addresses)})";
}
