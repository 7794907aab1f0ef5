using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Network;

/// <summary>
/// A stack's routes, looked up by longest prefix for every outbound packet: the on-link prefix of
/// each interface address, then the routes the stack was given (host, network, default).
/// </summary>
internal sealed class RoutingTable
{
    private readonly Entry[] _entries;

    /// <summary>Builds the table from the interfaces' addresses and <paramref name="routes"/>.</summary>
    /// <exception cref="ArgumentException">A route names an interface the stack does not have, or its gateway is on no interface's prefix.</exception>
    public RoutingTable(IReadOnlyList<NetworkInterface> interfaces, IEnumerable<Route> routes)
    {
        var entries = new List<Entry>();
        foreach (var nic in interfaces)
            foreach (var address in nic.Addresses)
                if (address.PrefixLength < 32) entries.Add(new Entry(address.Network, null, nic, Given: false));
        foreach (var route in routes)
            entries.Add(new Entry(route.Destination, route.Gateway, Resolve(route, interfaces, entries), Given: true));
        // Longest prefix first; a given route before an on-link one of the same length.
        _entries = [.. entries.OrderByDescending(e => e.Destination.Length).ThenByDescending(e => e.Given)];
    }

    /// <summary>The routes, longest prefix first, as <c>ip route</c> would show them.</summary>
    public IReadOnlyList<Route> Routes => [.. _entries.Select(e => new Route(e.Destination, e.Gateway, e.Interface.Name))];

    /// <summary>
    /// Finds the interface and next hop for <paramref name="destination"/>; false when no route covers it.
    /// </summary>
    public bool TryLookup(IPv4Address destination, out NetworkInterface nic, out IPv4Address nextHop)
    {
        foreach (var entry in _entries)
        {
            if (!entry.Destination.Contains(destination)) continue;
            nic = entry.Interface;
            nextHop = entry.Gateway ?? destination;
            return true;
        }
        nic = null!;
        nextHop = default;
        return false;
    }

    /// <summary>
    /// The source address for a packet to <paramref name="destination"/> (RFC 1122 §3.3.4.3): the
    /// address on the outgoing interface whose prefix holds the next hop, else its first address.
    /// False when no route covers the destination.
    /// </summary>
    public bool TrySelectSource(IPv4Address destination, out IPv4Address source)
    {
        source = default;
        if (!TryLookup(destination, out var nic, out var nextHop) || nic.Addresses.Count == 0) return false;
        source = nic.PrimaryAddress;
        foreach (var address in nic.Addresses)
            if (address.Network.Contains(nextHop)) { source = address.Address; break; }
        return true;
    }

    private static NetworkInterface Resolve(Route route, IReadOnlyList<NetworkInterface> interfaces, List<Entry> onLink)
    {
        if (route.Interface is { } name)
            return interfaces.FirstOrDefault(i => i.Name == name)
                ?? throw new ArgumentException($"Route {route}: the stack has no interface named '{name}'.");
        if (route.Gateway is { } gateway)
        {
            foreach (var entry in onLink)
                if (entry.Destination.Contains(gateway)) return entry.Interface;
            if (interfaces.Count == 1) return interfaces[0];
            throw new ArgumentException($"Route {route}: the gateway is on no interface's prefix; name the interface.");
        }
        return interfaces.Count > 0 ? interfaces[0] : throw new ArgumentException($"Route {route}: the stack has no interface.");
    }

    private readonly record struct Entry(IPv4Prefix Destination, IPv4Address? Gateway, NetworkInterface Interface, bool Given);
}
