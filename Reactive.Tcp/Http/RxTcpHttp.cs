using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Reactive.Tcp.Api;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Transport;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Http;

/// <summary>
/// Runs <see cref="HttpClient"/> over a <see cref="TcpStack"/>: a <see cref="SocketsHttpHandler"/>
/// whose <see cref="SocketsHttpHandler.ConnectCallback"/> opens RxTcp connections instead of sockets,
/// so HTTP/1.1 (keep-alive, pooling, chunking, TLS if asked for) works unchanged on the userspace stack.
/// </summary>
public static class RxTcpHttp
{
    /// <summary>
    /// A handler whose connections go through <paramref name="stack"/>. Host names are turned into
    /// addresses by <paramref name="resolve"/>; without it only IPv4 literals are accepted (the
    /// stack has no DNS resolver).
    /// </summary>
    /// <example><code>
    /// using var http = new HttpClient(RxTcpHttp.CreateHandler(stack));
    /// string body = await http.GetStringAsync("http://192.0.2.1/");
    /// </code></example>
    public static SocketsHttpHandler CreateHandler(TcpStack stack, Func<DnsEndPoint, IPv4Address>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        return new SocketsHttpHandler
        {
            ConnectCallback = ConnectCallback(stack, resolve),
            // Proxies would be reached through the kernel's view of the network, not this stack's.
            UseProxy = false,
        };
    }

    /// <summary>An <see cref="HttpClient"/> over <see cref="CreateHandler"/>; disposing it disposes the handler.</summary>
    public static HttpClient CreateClient(TcpStack stack, Func<DnsEndPoint, IPv4Address>? resolve = null) =>
        new(CreateHandler(stack, resolve), disposeHandler: true);

    /// <summary>
    /// The connect callback alone, for a <see cref="SocketsHttpHandler"/> configured elsewhere
    /// (e.g. by <c>IHttpClientFactory</c>). The returned stream is <see cref="TcpConnection.AsStream"/>.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(
        TcpStack stack, Func<DnsEndPoint, IPv4Address>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        resolve ??= ResolveLiteral;
        return async (context, cancellationToken) =>
        {
            var endPoint = context.DnsEndPoint;
            var address = resolve(endPoint);
            var port = checked((ushort)endPoint.Port);
            try
            {
                var connection = await ConnectAsync(stack, address, port, cancellationToken).ConfigureAwait(false);
                return connection.AsStream();
            }
            catch (TcpException e)
            {
                throw ToSocketException(e, address, port);
            }
        };
    }

    /// <summary>
    /// Connects to <paramref name="address"/>:<paramref name="port"/> through <paramref name="stack"/>
    /// and returns the connection once ESTABLISHED; cancelling abandons the attempt. Fails with
    /// <see cref="TcpException"/> (refused, timed out).
    /// </summary>
    public static async Task<TcpConnection> ConnectAsync(TcpStack stack, IPv4Address address, ushort port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stack);
        cancellationToken.ThrowIfCancellationRequested();
        // Asynchronous continuations: the connection is emitted on the stack's scheduler, and the
        // caller's code must not run there (it would stall every connection of the stack).
        var connected = new TaskCompletionSource<TcpConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = stack.Connect(address, port).Subscribe(
            c => connected.TrySetResult(c),
            e => connected.TrySetException(e),
            () => connected.TrySetException(new TcpException(TcpError.None, "The connection attempt ended without a connection.")));
        using var registration = cancellationToken.Register(() =>
        {
            if (connected.TrySetCanceled(cancellationToken)) subscription.Dispose();
        });
        return await connected.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// A <see cref="TcpException"/> as the <see cref="SocketException"/> a socket would have thrown,
    /// so that HttpClient reports it (and retry policies written for sockets classify it) the usual way.
    /// </summary>
    private static SocketException ToSocketException(TcpException e, IPv4Address address, ushort port) => new((int)(e.Error switch
    {
        TcpError.Refused => SocketError.ConnectionRefused,
        TcpError.TimedOut => SocketError.TimedOut,
        TcpError.Reset => SocketError.ConnectionReset,
        _ => SocketError.ConnectionAborted,
    }), $"{e.Message} ({address}:{port} over RxTcp)");

    private static IPv4Address ResolveLiteral(DnsEndPoint endPoint) =>
        IPv4Address.TryParse(endPoint.Host, out var address)
            ? address
            : throw new SocketException((int)SocketError.HostNotFound,
                $"'{endPoint.Host}' is not an IPv4 address; pass a resolver to RxTcpHttp.CreateHandler to map host names to addresses.");
}
