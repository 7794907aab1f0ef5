using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Reactive.Tcp.Api;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.AspNetCore;

/// <summary>
/// One RxTcp connection as Kestrel sees it: <see cref="Transport"/> is
/// <see cref="TcpConnection.AsDuplexPipe"/> (completing its output sends FIN),
/// <see cref="Abort(ConnectionAbortedException)"/> sends RST, and <see cref="ConnectionClosed"/>
/// fires when the connection reaches CLOSED.
/// </summary>
internal sealed class RxTcpConnectionContext : ConnectionContext,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature
{
    private static long s_lastId;

    private readonly TcpConnection _connection;
    private readonly CancellationTokenSource _closed = new();
    private readonly IDisposable _stateWatch;
    private int _disposed;

    public RxTcpConnectionContext(TcpConnection connection)
    {
        _connection = connection;
        Transport = connection.AsDuplexPipe();
        ConnectionId = $"rxtcp-{Interlocked.Increment(ref s_lastId):x}";
        LocalEndPoint = ToEndPoint(connection.Key.LocalAddress, connection.Key.LocalPort);
        RemoteEndPoint = ToEndPoint(connection.Key.RemoteAddress, connection.Key.RemotePort);

        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);

        // States completes on the stack's scheduler; cancelling there would run Kestrel's
        // callbacks on the thread every connection of the stack depends on.
        _stateWatch = connection.States.Subscribe(
            _ => { },
            _ => SignalClosed(),
            SignalClosed);
    }

    public TcpConnection Connection => _connection;

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _closed.Token;
        set => throw new NotSupportedException("The connection's lifetime token belongs to the transport.");
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        _connection.Abort();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Kestrel has normally completed both already; completing again is harmless and makes sure
        // the FIN goes out when a middleware forgot.
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        _stateWatch.Dispose();
    }

    private void SignalClosed() =>
        ThreadPool.UnsafeQueueUserWorkItem(static cts =>
        {
            try { cts.Cancel(); }
            catch (ObjectDisposedException) { }
        }, _closed, preferLocal: false);

    private static IPEndPoint ToEndPoint(IPv4Address address, ushort port) => new(address.ToIPAddress(), port);
}
