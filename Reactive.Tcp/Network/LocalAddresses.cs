using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Network;

/// <summary>
/// The local-delivery decision: which destination addresses this stack takes packets for (the
/// addresses of all its interfaces). Everything else is not for us and is dropped, counted.
/// </summary>
internal sealed class LocalAddresses
{
    private readonly IPv4Address[] _addresses;

    public LocalAddresses(IReadOnlyList<NetworkInterface> interfaces) =>
        _addresses = [.. interfaces.SelectMany(i => i.Addresses).Select(a => a.Address).Distinct()];

    /// <summary>Every address the stack holds.</summary>
    public IReadOnlyList<IPv4Address> All => _addresses;

    /// <summary>Whether packets to <paramref name="destination"/> are delivered to this stack's transports.</summary>
    public bool Contains(IPv4Address destination)
    {
        // A handful of addresses: a scan beats hashing.
        foreach (var address in _addresses)
            if (address == destination) return true;
        return false;
    }
}
