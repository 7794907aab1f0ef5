using System.Reactive.Subjects;

namespace Reactive.Tcp.Api;

/// <summary>
/// A port a stack listens on, from <c>TcpStack.Bind</c>: says which port
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
    }

    /// <summary>The port listened on.</summary>
    public ushort LocalPort { get; }

    /// <summary>
    /// Each connection that completes its handshake, as it does (hot). A connection accepted while
    /// nobody is subscribed is aborted rather than left with no one to serve it.
    /// </summary>
    public IObservable<TcpConnection> Connections => _connections;

    /// <summary>A connection this port accepted.</summary>
    internal void Accept(TcpConnection connection)
    {
        if (_connections.HasObservers) _connections.OnNext(connection);
        else connection.Abort();
    }

    /// <summary>Stops listening and completes <see cref="Connections"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _unbind(this);
        _connections.OnCompleted();
    }
}
