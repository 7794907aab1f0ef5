namespace Reactive.Tcp.Tcp;

/// <summary>What happened to a connection: a segment arrived, the application asked, or time passed.</summary>
public enum TcpEventKind
{
    /// <summary>A segment arrived from the peer.</summary>
    Segment,
    /// <summary>Active open: send a SYN.</summary>
    Connect,
    /// <summary>Queue application data (as much as the send buffer takes).</summary>
    Send,
    /// <summary>Graceful close: FIN after the queued data.</summary>
    Close,
    /// <summary>Abort: send RST, drop everything.</summary>
    Abort,
    /// <summary>The application can take up to <see cref="TcpEvent.Count"/> more bytes.</summary>
    ReadCredit,
    /// <summary>Time passed: handle every deadline that is due.</summary>
    Timer,
    /// <summary>
    /// ICMP said a segment of ours was too big for the path (RFC 1191): <see cref="TcpEvent.Count"/>
    /// is the next-hop MTU, <see cref="TcpEvent.Segment"/>'s <c>Seq</c> the quoted sequence number.
    /// </summary>
    PathMtu,
}
