using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>A UDP datagram as the application sees it: who sent it, to which local port, and its bytes (an owned copy).</summary>
/// <param name="RemoteAddress">The sender's (or, when sending, the destination's) address.</param>
/// <param name="RemotePort">The sender's (or destination's) port.</param>
/// <param name="LocalPort">The local port it arrived on (or is sent from).</param>
/// <param name="Data">The payload.</param>
public readonly record struct UdpMessage(IPv4Address RemoteAddress, ushort RemotePort, ushort LocalPort, ReadOnlyMemory<byte> Data)
{
    /// <summary>A reply to this message: same endpoints, reversed roles, new data.</summary>
    public UdpMessage Reply(ReadOnlyMemory<byte> data) => this with { Data = data };
}
