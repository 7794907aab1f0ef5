using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// Explicit Congestion Notification (RFC 3168) for one connection: what the SYNs agreed, the echo
/// of a CE mark we owe the peer, and the CWR we owe it after reducing our window.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference (<c>tcb.Ecn.Echoing = true</c>),
/// so it costs no object; never copy it into a local to change it. Laid out in declaration order,
/// four-byte fields first: 12 bytes, where the automatic layout pads it to 16.
/// </remarks>
internal struct EcnState
{
    /// <summary>Not negotiated; no reduction made yet (ECE on ACKs up to <paramref name="iss"/> is ignored).</summary>
    public EcnState(SeqNum iss) => Recover = iss;

    /// <summary>SND.MAX at the last reduction for ECE: ECE on ACKs up to here is the same congestion (once per window).</summary>
    public SeqNum Recover { get; set; }
    /// <summary>Times the congestion window was reduced for an ECN echo.</summary>
    public int Reductions { get; set; }
    /// <summary>Both SYNs agreed on ECN: new data goes out ECN-capable and congestion marks are echoed and obeyed.</summary>
    public bool Enabled { get; set; }
    /// <summary>Our SYN asked for ECN (only the first one does; a retransmitted SYN falls back, RFC 3168 §6.1.1.1).</summary>
    public bool Requested { get; set; }
    /// <summary>A CE mark arrived: every ACK carries ECE until the peer's CWR says it has reacted.</summary>
    public bool Echoing { get; set; }
    /// <summary>We reduced the window for an ECE: the next new data segment carries CWR.</summary>
    public bool CwrPending { get; set; }
}
