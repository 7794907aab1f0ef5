using System.Reactive;
using Reactive.Tcp.Collections;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

// The connection as the application API and the connection table see it: commands posted to the
// pipeline, and a row made only when someone reads the table.
internal sealed partial class ConnectionState : IConnectionSeam, IRowSource<ConnectionInfo>
{
    /// <inheritdoc />
    public long SmoothedRttTicks => Tcb?.SmoothedRtt ?? 0;

    /// <inheritdoc />
    public void Send(ReadOnlyMemory<byte> data, IObserver<Unit> completion) =>
        Post(ConnectionCommand.Enqueue, new PendingSend(data, completion));

    /// <inheritdoc />
    public void Close() => Post(ConnectionCommand.Close);

    /// <inheritdoc />
    public void Abort() => Post(ConnectionCommand.Abort);

    /// <inheritdoc />
    public void AttachReader(IObserver<ReadOnlyMemory<byte>> reader) => Post(ConnectionCommand.AttachReader, reader);

    /// <inheritdoc />
    public void DetachReader(IObserver<ReadOnlyMemory<byte>> reader) => Post(ConnectionCommand.DetachReader, reader);

    /// <inheritdoc />
    public void GrantCredit(IObserver<ReadOnlyMemory<byte>> reader, long bytes) => Post(ConnectionCommand.GrantCredit, reader, bytes);

    /// <summary>
    /// The connection's row of the connection table, made only when the table is read or watched,
    /// so that an idle connection nobody looks at holds no row. A row made outside the pipeline (a
    /// reader on another thread) may mix values from just before and just after a step; the step's
    /// own update follows it.
    /// </summary>
    ConnectionInfo IRowSource<ConnectionInfo>.Snapshot() => ConnectionInfo.From(Tcb!);
}
