namespace Reactive.Tcp.Interfaces;

/// <summary>
/// The state of a neighbour-cache entry, named as Linux names them (<c>ip neigh</c>), which follow
/// RFC 4861 §7.3.2 for IPv6 and apply the same way to ARP.
/// </summary>
public enum NeighbourState : byte
{
    /// <summary>No entry: before one is created, or after it is removed.</summary>
    None = 0,
    /// <summary>Resolution in progress: broadcast requests are being sent and packets wait in the entry's queue.</summary>
    Incomplete,
    /// <summary>The mapping was confirmed recently (a reply to us, or upper-layer progress): packets go straight out.</summary>
    Reachable,
    /// <summary>A mapping not confirmed lately (learned from a request, or reachable time ran out): still used, but the next packet starts re-confirmation.</summary>
    Stale,
    /// <summary>A stale mapping was used: packets go out, and unicast probing starts unless something confirms it within the delay.</summary>
    Delay,
    /// <summary>Unicast requests to the known address are re-confirming the mapping; packets still go out meanwhile.</summary>
    Probe,
    /// <summary>A static mapping: never probed, never expires.</summary>
    Permanent,
}
