using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>One thing an <see cref="ArpCache{TPacket}"/> step asks its host to do; which fields matter depends on <see cref="Kind"/>.</summary>
/// <typeparam name="TPacket">The host's handle on an outbound IPv4 packet.</typeparam>
public readonly struct ArpAction<TPacket>
{
    private ArpAction(ArpActionKind kind, MacAddress destination, ArpPacket arp, IPv4Address nextHop, TPacket packet,
        DropReason reason, NeighbourState from, NeighbourState to)
    {
        Kind = kind;
        Destination = destination;
        Arp = arp;
        NextHop = nextHop;
        Packet = packet;
        Reason = reason;
        From = from;
        To = to;
    }

    /// <summary>What to do.</summary>
    public ArpActionKind Kind { get; }

    /// <summary>Ethernet destination: of the ARP frame (<see cref="ArpActionKind.SendArp"/>) or of the packet (<see cref="ArpActionKind.Transmit"/>).</summary>
    public MacAddress Destination { get; }

    /// <summary>The ARP packet to send, for <see cref="ArpActionKind.SendArp"/>; the frame's source is its <see cref="ArpPacket.SenderMac"/>.</summary>
    public ArpPacket Arp { get; }

    /// <summary>The neighbour concerned (the next hop a packet was sent towards).</summary>
    public IPv4Address NextHop { get; }

    /// <summary>The packet, for <see cref="ArpActionKind.Transmit"/> and <see cref="ArpActionKind.Drop"/>.</summary>
    public TPacket Packet { get; }

    /// <summary>Why a packet is dropped, for <see cref="ArpActionKind.Drop"/>.</summary>
    public DropReason Reason { get; }

    /// <summary>State before the change, for <see cref="ArpActionKind.StateChanged"/> (<see cref="NeighbourState.None"/>: the entry was created).</summary>
    public NeighbourState From { get; }

    /// <summary>State after the change, for <see cref="ArpActionKind.StateChanged"/> (<see cref="NeighbourState.None"/>: the entry was removed).</summary>
    public NeighbourState To { get; }

    internal static ArpAction<TPacket> SendArp(MacAddress destination, in ArpPacket arp) =>
        new(ArpActionKind.SendArp, destination, arp, arp.TargetIp, default!, DropReason.None, default, default);

    internal static ArpAction<TPacket> Transmit(IPv4Address nextHop, MacAddress destination, TPacket packet) =>
        new(ArpActionKind.Transmit, destination, default, nextHop, packet, DropReason.None, default, default);

    internal static ArpAction<TPacket> Drop(IPv4Address nextHop, TPacket packet, DropReason reason) =>
        new(ArpActionKind.Drop, default, default, nextHop, packet, reason, default, default);

    internal static ArpAction<TPacket> StateChanged(IPv4Address neighbour, NeighbourState from, NeighbourState to) =>
        new(ArpActionKind.StateChanged, default, default, neighbour, default!, DropReason.None, from, to);

    /// <summary>Readable text, e.g. <c>arp ff:ff:ff:ff:ff:ff Request who-has …</c>, <c>transmit 192.0.2.1 to 02:…</c>.</summary>
    public override string ToString() => Kind switch
    {
        ArpActionKind.SendArp => $"arp to {Destination}: {Arp}",
        ArpActionKind.Transmit => $"transmit {Packet} via {NextHop} to {Destination}",
        ArpActionKind.Drop => $"drop {Packet} via {NextHop}: {Reason}",
        ArpActionKind.StateChanged => $"{NextHop} {From} -> {To}",
        _ => "none",
    };
}
