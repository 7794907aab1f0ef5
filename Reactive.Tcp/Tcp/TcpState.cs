namespace Reactive.Tcp.Tcp;

/// <summary>The connection states of RFC 9293 §3.3.2.</summary>
public enum TcpState
{
    /// <summary>No connection (the initial and final state).</summary>
    Closed,
    /// <summary>Waiting for a connection request.</summary>
    Listen,
    /// <summary>SYN sent, waiting for a matching SYN.</summary>
    SynSent,
    /// <summary>SYN received and SYN sent, waiting for the ACK of our SYN.</summary>
    SynReceived,
    /// <summary>Open: data flows both ways.</summary>
    Established,
    /// <summary>We sent FIN, waiting for its ACK or the peer's FIN.</summary>
    FinWait1,
    /// <summary>Our FIN is acknowledged, waiting for the peer's FIN.</summary>
    FinWait2,
    /// <summary>Peer sent FIN, waiting for the application to close.</summary>
    CloseWait,
    /// <summary>Both sent FIN at once, waiting for the ACK of ours.</summary>
    Closing,
    /// <summary>Peer closed first and we sent FIN, waiting for its ACK.</summary>
    LastAck,
    /// <summary>Waiting 2MSL so late segments of this connection die out.</summary>
    TimeWait,
}
