namespace Reactive.Tcp.Network;

/// <summary>Which ICMP errors a stack sends, and how often (see <c>TcpStackOptions.IcmpErrors</c>).</summary>
public sealed record IcmpErrorOptions
{
    /// <summary>Defaults: port unreachable and reassembly time exceeded on, one per second with a burst of six.</summary>
    public static IcmpErrorOptions Default { get; } = new();

    /// <summary>Answer a UDP datagram to an unbound port with Destination Unreachable / Port Unreachable (RFC 1122 §4.1.3.1).</summary>
    public bool SendPortUnreachable { get; init; } = true;

    /// <summary>
    /// Answer a datagram whose first fragment arrived but whose reassembly timed out with Time
    /// Exceeded / fragment reassembly time exceeded (RFC 792, RFC 1122 §3.3.2).
    /// </summary>
    public bool SendReassemblyTimeExceeded { get; init; } = true;

    /// <summary>
    /// Time that earns one error token (RFC 1812 §4.3.2.8 asks for rate limiting). Linux's
    /// icmp_ratelimit is 1 s per destination; here the bucket is stack-wide, which is stricter.
    /// </summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Errors that may go out back to back after a quiet spell (Linux's XRLIM_BURST_FACTOR is 6).</summary>
    public int Burst { get; init; } = 6;
}
