namespace Reactive.Tcp.Transport;

/// <summary>
/// How much a <c>TcpStack</c> lets others make it hold or send: connection blocks, half-open
/// handshakes, and answers to segments it cannot accept. Every refusal is counted
/// (<c>TcpStack.Drops</c>, <c>TcpStack.Counters</c>); established connections are
/// never touched to make room.
/// </summary>
public sealed record StackLimits
{
    /// <summary>The limits a stack gets unless told otherwise.</summary>
    public static StackLimits Default { get; } = new();

    /// <summary>
    /// Connections alive at once, from half-open to closing; TIME-WAIT counts apart
    /// (<see cref="MaxTimeWait"/>). At the limit a SYN is answered with a RST (counted as
    /// <see cref="Wire.DropReason.ConnectionLimit"/>) and <c>TcpStack.Connect</c> fails with a
    /// <see cref="Tcp.TcpException"/>.
    /// </summary>
    public int MaxConnections { get; init; } = 4096;

    /// <summary>
    /// Connections held in TIME-WAIT at once, each a small record without buffers. Beyond it a
    /// closing connection skips TIME-WAIT and is CLOSED at once, counted, as Linux does beyond
    /// <c>tcp_max_tw_buckets</c>.
    /// </summary>
    public int MaxTimeWait { get; init; } = 65536;

    /// <summary>
    /// Half-open (SYN-RECEIVED) connections per listener unless <c>TcpStack.Listen(ushort, int)</c>
    /// says otherwise. 0 sends every passive open through SYN cookies.
    /// </summary>
    public int ListenBacklog { get; init; } = 128;

    /// <summary>Half-open connections across all listeners of the stack.</summary>
    public int MaxHalfOpen { get; init; } = 1024;

    /// <summary>
    /// Answer a SYN that finds the SYN queue full with a SYN cookie (no state kept) rather than
    /// refuse it with a RST (counted as <see cref="Wire.DropReason.SynQueueFull"/>). A SYN is never
    /// dropped without an answer.
    /// </summary>
    public bool SynCookies { get; init; } = true;

    /// <summary>
    /// Challenge ACKs (RFC 5961: answers to an in-window RST, a SYN on a synchronised connection,
    /// an ACK outside the acceptable range) the whole stack sends per second; the rest are counted
    /// and not sent. Each second's budget is drawn at random between half this and this, so an
    /// attacker cannot count it down to learn about other connections (CVE-2016-5696).
    /// 0 or less: no limit.
    /// </summary>
    public int ChallengeAcksPerSecond { get; init; } = 1000;

    /// <summary>
    /// Shortest gap between two duplicate ACKs one connection sends for out-of-window segments
    /// that carry no data, SYN or FIN (Linux <c>tcp_invalid_ratelimit</c>: breaks ACK loops).
    /// <see cref="TimeSpan.Zero"/>: no limit.
    /// </summary>
    public TimeSpan InvalidAckInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
