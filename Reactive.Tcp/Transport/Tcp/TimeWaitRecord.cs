using Reactive.Tcp.Collections;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// A connection in TIME-WAIT once it has left the connection table: its block without rings (the
/// same pure step answers a retransmitted FIN or a stray segment from it, so TIME-WAIT behaves
/// exactly as before), what the application holds (told CLOSED when 2 MSL end), and nothing else —
/// no Rx group, no state object, no timer of its own. Kept by <see cref="TimeWaitTable"/>.
/// </summary>
internal sealed class TimeWaitRecord(ConnectionKey key, Tcb tcb, IConnectionFacade? facade, bool holdsPort) : IRowSource<ConnectionInfo>
{
    /// <summary>The 4-tuple.</summary>
    public ConnectionKey Key { get; } = key;

    /// <summary>The block, in TIME-WAIT, buffers released.</summary>
    public Tcb Tcb { get; } = tcb;

    /// <summary>What the application holds, to be told the connection is CLOSED.</summary>
    public IConnectionFacade? Facade { get; } = facade;

    /// <summary>The connection claimed its local port (active open, or passive), to release when it ends.</summary>
    public bool HoldsPort { get; } = holdsPort;

    /// <inheritdoc />
    ConnectionInfo IRowSource<ConnectionInfo>.Snapshot() => ConnectionInfo.From(Tcb);
}
