using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>
/// Which Ethernet frames an interface takes, as a NIC's address filter decides: frames to its
/// own address, broadcast, and multicast groups it has joined; everything else is dropped
/// (<see cref="DropReason.NotForOurMac"/>) unless the filter is promiscuous. A segment floods
/// unknown unicast and every multicast frame to every port, so without this an interface would
/// read other stations' traffic as its own.
/// </summary>
/// <remarks>Not thread-safe: the interface's thread owns it, as it owns the <see cref="ArpCache{TPacket}"/>.</remarks>
public sealed class EthernetAddressFilter
{
    private readonly HashSet<MacAddress> _groups = new();

    /// <summary>Creates a filter for an interface whose address is <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not unicast.</exception>
    public EthernetAddressFilter(MacAddress address)
    {
        if (!address.IsUnicast) throw new ArgumentException($"An interface's address must be unicast, not {address}.", nameof(address));
        Address = address;
    }

    /// <summary>The interface's own address.</summary>
    public MacAddress Address { get; }

    /// <summary>Take every frame, whoever it is for (a capture, or a stack forwarding for others).</summary>
    public bool Promiscuous { get; set; }

    /// <summary>Multicast groups joined, broadcast excepted (always taken).</summary>
    public IReadOnlyCollection<MacAddress> Groups => _groups;

    /// <summary>Takes frames sent to <paramref name="group"/> from now on (for an IPv4 group, <see cref="MacAddress.FromIPv4Multicast"/>).</summary>
    /// <returns>False when already joined.</returns>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not a multicast address.</exception>
    public bool Join(MacAddress group)
    {
        if (!group.IsMulticast) throw new ArgumentException($"{group} is not a multicast address.", nameof(group));
        return _groups.Add(group);
    }

    /// <summary>Stops taking frames sent to <paramref name="group"/>.</summary>
    /// <returns>False when it was not joined.</returns>
    public bool Leave(MacAddress group) => _groups.Remove(group);

    /// <summary>Whether a frame to <paramref name="destination"/> is for this interface.</summary>
    /// <returns><see cref="DropReason.None"/> to take it, <see cref="DropReason.NotForOurMac"/> to drop it.</returns>
    public DropReason Check(MacAddress destination) =>
        Promiscuous || destination == Address || destination.IsBroadcast || (destination.IsMulticast && _groups.Contains(destination))
            ? DropReason.None
            : DropReason.NotForOurMac;
}
