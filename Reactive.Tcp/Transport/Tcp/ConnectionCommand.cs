namespace Reactive.Tcp.Transport;

/// <summary>What the application (or a connection's own timer) asks of one connection.</summary>
internal enum ConnectionCommand : byte
{
    /// <summary>Not a command: a segment or an ICMP error from the network.</summary>
    None,
    /// <summary>Active open: the first input of a connection <c>Connect</c> made.</summary>
    Connect,
    /// <summary>Graceful close.</summary>
    Close,
    /// <summary>Abort (RST).</summary>
    Abort,
    /// <summary>Queue a send request (<see cref="PendingSend"/>).</summary>
    Enqueue,
    /// <summary>Feed the next pending send into the send buffer.</summary>
    Pump,
    /// <summary>An application reader subscribed.</summary>
    AttachReader,
    /// <summary>The reader unsubscribed.</summary>
    DetachReader,
    /// <summary>A stream reader asks for up to <see cref="Tcp.TcpEvent.Count"/> bytes.</summary>
    GrantCredit,
    /// <summary>The connection's timer: a deadline may be due.</summary>
    Wake,
}
