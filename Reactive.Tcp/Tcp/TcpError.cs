namespace Reactive.Tcp.Tcp;

/// <summary>Why a connection ended abnormally.</summary>
public enum TcpError
{
    /// <summary>No error: the connection closed gracefully.</summary>
    None,
    /// <summary>The peer answered our SYN with a RST (nobody listening).</summary>
    Refused,
    /// <summary>The peer reset an established connection.</summary>
    Reset,
    /// <summary>Retransmissions reached their limit without an acknowledgment.</summary>
    TimedOut,
    /// <summary>The local application aborted the connection.</summary>
    Aborted,
}
