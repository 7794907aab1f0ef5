using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>One end of a traced connection.</summary>
/// <param name="Address">IPv4 address.</param>
/// <param name="Port">TCP port.</param>
public readonly record struct TraceEndpoint(IPv4Address Address, ushort Port)
{
    /// <summary><c>192.0.2.1:80</c>, as marble files write it.</summary>
    public override string ToString() => $"{Address}:{Port}";

    /// <summary><c>192.0.2.1.80</c>, as tcpdump writes it.</summary>
    public string ToTcpdumpString() => $"{Address}.{Port}";
}
