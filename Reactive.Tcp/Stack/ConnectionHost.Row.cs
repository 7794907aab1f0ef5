using Reactive.Tcp.Collections;

namespace Reactive.Tcp.Stack;

internal sealed partial class ConnectionHost
{
    /// <summary>
    /// The connection's row of <see cref="TcpStack.Connections"/>, made only when the table is read
    /// or watched, so that an idle connection nobody looks at holds no row. A row made outside
    /// the pipeline (a reader on another thread) may mix values from just before and just after a
    /// step; the step's own update follows it.
    /// </summary>
    ConnectionInfo IRowSource<ConnectionInfo>.Snapshot() => ConnectionInfo.From(Tcb!);
}
