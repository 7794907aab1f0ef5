using Reactive.Tcp.Network;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Transport;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Stack;

/// <summary>How a <see cref="TcpStack"/> is set up.</summary>
public sealed record TcpStackOptions
{
    /// <summary>
    /// This stack's IPv4 address, for a stack on one link (<c>new TcpStack(link, options, scheduler)</c>);
    /// packets for other addresses are dropped. A stack made with its interfaces takes their addresses instead.
    /// </summary>
    public IPv4Address Address { get; init; }

    /// <summary>
    /// Routes besides the on-link prefixes of the interface addresses (host, network, default routes).
    /// A stack on one point-to-point link with no routes given sends everything through it.
    /// </summary>
    public IReadOnlyList<Route> Routes { get; init; } = [];

    /// <summary>TCP tunables for every connection of the stack.</summary>
    public TcpConfig Tcp { get; init; } = TcpConfig.Default;

    /// <summary>First ephemeral port for outgoing connections (IANA: 49152).</summary>
    public ushort EphemeralPortFirst { get; init; } = 49152;

    /// <summary>Last ephemeral port for outgoing connections.</summary>
    public ushort EphemeralPortLast { get; init; } = 65535;

    /// <summary>Answer ICMP echo requests.</summary>
    public bool AnswerPing { get; init; } = true;

    /// <summary>IPv4 fragment reassembly limits (memory, datagrams in flight, timeout).</summary>
    public FragmentReassemblyOptions Reassembly { get; init; } = FragmentReassemblyOptions.Default;

    /// <summary>ICMP errors the stack sends (port unreachable) and their rate limit.</summary>
    public IcmpErrorOptions IcmpErrors { get; init; } = IcmpErrorOptions.Default;

    /// <summary>Seed for ephemeral port choice; null picks a random one.</summary>
    public int? Seed { get; init; }

    /// <summary>Connection, SYN-queue and answer-rate limits (see <see cref="StackLimits"/> for the defaults).</summary>
    public StackLimits Limits { get; init; } = StackLimits.Default;

    /// <summary>Key (16 bytes) for SYN cookies; null draws a random one per stack. Fixed only to make tests reproducible.</summary>
    public byte[]? SynCookieSecret { get; init; }
}
