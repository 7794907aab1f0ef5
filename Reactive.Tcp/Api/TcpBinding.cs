using System.Reactive.Subjects;
using Reactive.Tcp.Stack;

namespace Reactive.Tcp.Api;

/// <summary>
/// A port a <see cref="TcpStack"/> listens on, from <see cref="TcpStack.Bind(ushort)"/>: says which port
/// it is (the one chosen when 0 was asked for) and yields the connections it accepts.
/// Disposing stops listening (new SYNs are refused) and completes <see cref="Connections"/>;
/// connections already accepted live on.
/// </summary>
public sealed class TcpBinding : IDisposable
{
    private readonly Subject<TcpConnection> _connections = new();
    private readonly Action<TcpBinding> _unbind;
    private int _disposed;

    internal TcpBinding(ushort localPort, Action<TcpBinding> unbind)
    {
        LocalPort = localPort;
        _unbind = unbind;
        Sink = new AcceptSink(this);
    }

    /// <summary>The port listened on.</summary>
    public ushort LocalPort { get; }

    /// <summary>
    /// Each connection that completes its handshake, as it does (hot). A connection accepted while
    /// nobody is subscribed is aborted rather than left with no one to serve it.
    /// </summary>
    public IObservable<TcpConnection> Connections => _connections;

    /// <summary>What the stack hands accepted connections to.</summary>
    internal IObserver<TcpConnection> Sink { get; }

    /// <summary>Stops listening and completes <see cref="Connections"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _unbind(this);
        _connections.OnCompleted();
    }

    private sealed class AcceptSink(TcpBinding binding) : IObserver<TcpConnection>
    {
        public void OnNext(TcpConnection value)
        {
            if (binding._connections.HasObservers) binding._connections.OnNext(value);
            else value.Abort();
        }

        public void OnError(Exception error) => binding._connections.OnError(error);

        public void OnCompleted() => binding._connections.OnCompleted();
    }
}
