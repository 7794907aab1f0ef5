using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>A snapshot of one neighbour-cache entry, as <c>ip neigh</c> would show it.</summary>
/// <param name="Address">The neighbour's IPv4 address.</param>
/// <param name="LinkAddress">Its hardware address; <see cref="MacAddress.Zero"/> while <see cref="NeighbourState.Incomplete"/>.</param>
/// <param name="State">Where the entry is in its life.</param>
/// <param name="QueuedPackets">Packets waiting for resolution.</param>
/// <param name="ProbesSent">Requests sent in the current resolution or re-confirmation.</param>
public readonly record struct NeighbourEntry(IPv4Address Address, MacAddress LinkAddress, NeighbourState State, int QueuedPackets, int ProbesSent)
{
    /// <summary><c>ip neigh</c>-like text: <c>192.0.2.1 lladdr 02:00:00:00:00:01 REACHABLE</c>.</summary>
    public override string ToString() =>
        State == NeighbourState.Incomplete
            ? $"{Address} INCOMPLETE ({QueuedPackets} queued, {ProbesSent} probes)"
            : $"{Address} lladdr {LinkAddress} {State.ToString().ToUpperInvariant()}";
}
