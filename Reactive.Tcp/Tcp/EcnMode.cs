namespace Reactive.Tcp.Tcp;

/// <summary>How a connection takes part in Explicit Congestion Notification (RFC 3168).</summary>
public enum EcnMode
{
    /// <summary>Never: an ECN-setup SYN is answered with a plain SYN-ACK and no packet is ECN-capable.</summary>
    Off,
    /// <summary>
    /// Answer an ECN-setup SYN with an ECN-setup SYN-ACK, but do not ask for ECN on an active open
    /// (what Linux does by default, <c>net.ipv4.tcp_ecn=2</c>).
    /// </summary>
    Accept,
    /// <summary>Ask for ECN on an active open too (Linux's <c>tcp_ecn=1</c>).</summary>
    On,
}
