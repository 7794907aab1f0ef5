namespace Reactive.Tcp.Tcp;

/// <summary>
/// Every tunable of the TCP state machine in one record. <see cref="Default"/> follows current RFCs;
/// <see cref="Minimart"/> reproduces the 2014 minimart netstack's constants.
/// </summary>
public sealed record TcpConfig
{
    /// <summary>Link MTU; the MSS advertised is <c>Mtu - 40</c>.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>MSS advertised in our SYN; defaults to <c>Mtu - 40</c>.</summary>
    public int Mss => MssOverride ?? Mtu - 40;

    /// <summary>Fixed MSS to advertise instead of <c>Mtu - 40</c>.</summary>
    public int? MssOverride { get; init; }

    /// <summary>
    /// Largest IPv4 packet the link cuts into MTU-sized segments itself (TCP segmentation offload,
    /// e.g. a TUN device with offload on); 0, the default, when it does not. New data may then go
    /// out as super-segments of several whole segments, when the peer's MSS is at least ours.
    /// </summary>
    public int SendOffloadSize { get; init; }

    /// <summary>MSS assumed when the peer sends no MSS option (RFC 9293: 536).</summary>
    public int DefaultPeerMss { get; init; } = 536;

    /// <summary>Receive buffer in bytes: the most we advertise and hold, in order or not.</summary>
    public int ReceiveBufferSize { get; init; } = 256 * 1024;

    /// <summary>Send buffer in bytes: what the application may queue before <c>Send</c> waits.</summary>
    public int SendBufferSize { get; init; } = 256 * 1024;

    /// <summary>Negotiate window scaling (RFC 7323) so windows above 64 KiB can be advertised.</summary>
    public bool WindowScaling { get; init; } = true;

    /// <summary>
    /// Delay for acknowledging in-order data (RFC 9293 §3.8.6.3: at most 500 ms; RFC 5681: every
    /// second full-sized segment is acknowledged at once). <see cref="TimeSpan.Zero"/> acknowledges every segment.
    /// </summary>
    public TimeSpan DelayedAck { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Disable Nagle's algorithm: send small segments even while data is unacknowledged.</summary>
    public bool NoDelay { get; init; }

    /// <summary>Offer and use timestamps (RFC 7323): RTT from every ACK and PAWS.</summary>
    public bool Timestamps { get; init; } = true;

    /// <summary>Idle time before keep-alive probes start; null (the default) turns keep-alive off.</summary>
    public TimeSpan? KeepAliveIdle { get; init; }

    /// <summary>Time between unanswered keep-alive probes.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Unanswered keep-alive probes before the connection ends with "timed out".</summary>
    public int KeepAliveProbes { get; init; } = 9;

    /// <summary>Offer and use selective acknowledgments (RFC 2018, RFC 6675 loss recovery).</summary>
    public bool Sack { get; init; } = true;

    /// <summary>Initial retransmission timeout (RFC 6298: 1 s).</summary>
    public TimeSpan InitialRto { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Lower bound of the RTO (RFC 6298 says 1 s; Linux uses 200 ms).</summary>
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the RTO after backoff.</summary>
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>When set, the RTO is this fixed period with no estimation or backoff (minimart's transmit-check).</summary>
    public TimeSpan? FixedRto { get; init; }

    /// <summary>Retransmissions of one segment before the connection ends with "timed out".</summary>
    public int MaxRetransmissions { get; init; } = 8;

    /// <summary>Retransmissions of a SYN before a connect fails with "timed out".</summary>
    public int MaxSynRetransmissions { get; init; } = 5;

    /// <summary>Maximum segment lifetime; TIME-WAIT lasts twice this.</summary>
    public TimeSpan Msl { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Fast retransmit after this many duplicate ACKs (RFC 5681); 0 disables it.</summary>
    public int DupAckThreshold { get; init; } = 3;

    /// <summary>Initial congestion window in segments (RFC 6928: 10); 0 disables congestion control.</summary>
    public int InitialCongestionWindowSegments { get; init; } = 10;

    /// <summary>
    /// Makes the congestion controller of each connection: CUBIC by default (RFC 9438),
    /// <see cref="NewReno"/>, or any <see cref="ICongestionControl"/> of your own. Called once per
    /// connection, when it first needs one (before its first data goes out after the handshake),
    /// so an idle connection holds none; unused when <see cref="InitialCongestionWindowSegments"/> is 0.
    /// </summary>
    public Func<ICongestionControl> CongestionControl { get; init; } = () => new Cubic();

    /// <summary>
    /// Explicit Congestion Notification (RFC 3168). <see cref="EcnMode.Accept"/> by default: a peer
    /// that asks gets ECN, but our own SYN does not ask, so a plain <c>[S]</c> stays what an active
    /// open sends (as Linux's default <c>tcp_ecn=2</c>).
    /// </summary>
    public EcnMode Ecn { get; init; } = EcnMode.Accept;

    /// <summary>Initial sequence number chooser; null uses a keyed clock-driven generator.</summary>
    public Func<Wire.ConnectionKey, long, uint>? IsnGenerator { get; init; }

    /// <summary>RFC-following defaults.</summary>
    public static TcpConfig Default { get; } = new();

    /// <summary>
    /// The minimart netstack's constants: MSS 536, a transmit-check every 2000 ms with no backoff,
    /// 2MSL of 240 s, a 65535-byte receive buffer, no window scaling, no congestion control.
    /// </summary>
    public static TcpConfig Minimart { get; } = new()
    {
        MssOverride = 536,
        FixedRto = TimeSpan.FromMilliseconds(2000),
        InitialRto = TimeSpan.FromMilliseconds(2000),
        Msl = TimeSpan.FromSeconds(120),
        ReceiveBufferSize = 65535,
        SendBufferSize = 65535,
        WindowScaling = false,
        Sack = false,
        Timestamps = false,
        DelayedAck = TimeSpan.Zero,
        NoDelay = true,
        DupAckThreshold = 0,
        InitialCongestionWindowSegments = 0,
    };
}
