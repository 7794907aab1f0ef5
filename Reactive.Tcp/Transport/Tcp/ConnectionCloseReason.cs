using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Transport;

/// <summary>Why a connection left the connection table.</summary>
public enum ConnectionCloseReason
{
    /// <summary>Both sides closed (FIN exchanged, TIME-WAIT or LAST-ACK done).</summary>
    Graceful,
    /// <summary>The peer answered our SYN with a RST: nobody listens there.</summary>
    Refused,
    /// <summary>The peer reset the connection.</summary>
    ResetByPeer,
    /// <summary>Retransmissions (or keepalive probes) went unanswered up to their limit.</summary>
    TimedOut,
    /// <summary>Aborted on this side: the application's <c>Abort</c>, or the stack refusing a connection nobody would serve.</summary>
    Aborted,
}

/// <summary>Maps the error a connection ended with to its <see cref="ConnectionCloseReason"/>.</summary>
internal static class ConnectionCloseReasons
{
    public static ConnectionCloseReason From(TcpError error) => error switch
    {
        TcpError.None => ConnectionCloseReason.Graceful,
        TcpError.Refused => ConnectionCloseReason.Refused,
        TcpError.Reset => ConnectionCloseReason.ResetByPeer,
        TcpError.TimedOut => ConnectionCloseReason.TimedOut,
        _ => ConnectionCloseReason.Aborted,
    };
}
