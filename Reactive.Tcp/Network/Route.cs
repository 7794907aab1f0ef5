using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Network;

/// <summary>
/// A route a stack is given (besides the on-link prefixes of its interface addresses, which it
/// makes itself): packets for <paramref name="Destination"/> leave through <paramref name="Interface"/>,
/// to <paramref name="Gateway"/> when one is set (otherwise straight to their destination).
/// </summary>
/// <param name="Destination">What the route covers; <see cref="IPv4Prefix.Any"/> for a default route.</param>
/// <param name="Gateway">The next hop for everything the route covers; null for an on-link (or point-to-point) route.</param>
/// <param name="Interface">The interface's name; null picks the interface whose on-link prefix holds the gateway, else the first interface.</param>
public sealed record Route(IPv4Prefix Destination, IPv4Address? Gateway = null, string? Interface = null)
{
    /// <summary>A default route: everything without a more specific route goes to <paramref name="gateway"/>.</summary>
    public static Route Default(IPv4Address gateway, string? interfaceName = null) => new(IPv4Prefix.Any, gateway, interfaceName);

    /// <summary><c>prefix via gateway dev interface</c>, as <c>ip route</c> prints it.</summary>
    public override string ToString() =>
        $"{(Destination.Length == 0 ? "default" : Destination.ToString())}{(Gateway is { } g ? $" via {g}" : "")}{(Interface is { } i ? $" dev {i}" : "")}";
}
