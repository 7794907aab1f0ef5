using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Reactive.Tcp.Api;
using Reactive.Tcp.Stack;

namespace Reactive.Tcp.AspNetCore;

/// <summary>
/// Kestrel's view of <see cref="TcpStack.Listen(ushort)"/>: connections the stack accepts wait in a queue
/// until Kestrel's accept loop takes them. Unbinding stops listening (new SYNs are refused with a
/// reset) while connections already accepted live on.
/// </summary>
internal sealed class RxTcpConnectionListener : IConnectionListener
{
    private readonly Channel<TcpConnection> _accepted = Channel.CreateUnbounded<TcpConnection>(new UnboundedChannelOptions { SingleReader = true });
    private TcpBinding? _binding;
    private IDisposable? _listening;

    private RxTcpConnectionListener(TcpStack stack, TcpBinding binding)
    {
        Stack = stack;
        _binding = binding;
        EndPoint = new IPEndPoint(stack.Address.ToIPAddress(), binding.LocalPort);
    }

    public TcpStack Stack { get; }

    /// <summary>The endpoint listened on, with the port the stack chose when Kestrel asked for port 0.</summary>
    public EndPoint EndPoint { get; }

    public static RxTcpConnectionListener Start(TcpStack stack, ushort port)
    {
        TcpBinding binding;
        try
        {
            binding = stack.Bind(port);
        }
        catch (InvalidOperationException e)
        {
            throw new AddressInUseException($"{new IPEndPoint(stack.Address.ToIPAddress(), port)}: {e.Message}", e);
        }
        var listener = new RxTcpConnectionListener(stack, binding);
        listener._listening = binding.Connections.Subscribe(connection =>
        {
            // Past unbinding nobody will accept it: refuse rather than leave the peer hanging.
            if (!listener._accepted.Writer.TryWrite(connection)) connection.Abort();
        });
        return listener;
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_accepted.Reader.TryRead(out var connection))
                    return new RxTcpConnectionContext(connection);
            }
        }
        catch (ChannelClosedException)
        {
        }
        // Null tells Kestrel's accept loop that the listener is done.
        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Exchange(ref _listening, null)?.Dispose();
        Interlocked.Exchange(ref _binding, null)?.Dispose();
        _accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        // Accepted by the stack but never handed to Kestrel: nobody will serve them.
        while (_accepted.Reader.TryRead(out var orphan)) orphan.Abort();
    }
}
