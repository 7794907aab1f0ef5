namespace Reactive.Tcp.Wire;

/// <summary>A connection's 4-tuple, seen from the local stack.</summary>
/// <param name="LocalAddress">This stack's address.</param>
/// <param name="LocalPort">This stack's port.</param>
/// <param name="RemoteAddress">The peer's address.</param>
/// <param name="RemotePort">The peer's port.</param>
public readonly record struct ConnectionKey(IPv4Address LocalAddress, ushort LocalPort, IPv4Address RemoteAddress, ushort RemotePort)
{
    /// <summary><c>local:port &gt; remote:port</c>.</summary>
    public override string ToString() => $"{LocalAddress}:{LocalPort} > {RemoteAddress}:{RemotePort}";
}
