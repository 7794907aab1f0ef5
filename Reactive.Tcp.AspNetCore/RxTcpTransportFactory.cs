using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Reactive.Tcp.Stack;

namespace Reactive.Tcp.AspNetCore;

/// <summary>
/// A Kestrel transport on <see cref="TcpStack"/>s. It claims exactly the endpoints whose address
/// is one of <see cref="RxTcpTransportOptions.Stacks"/>' addresses, so the same server can also
/// listen on kernel sockets for everything else.
/// </summary>
public sealed class RxTcpTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly RxTcpTransportOptions _options;

    /// <summary>Creates the factory (normally done by dependency injection; see <see cref="RxTcpWebHostBuilderExtensions"/>).</summary>
    public RxTcpTransportFactory(IOptions<RxTcpTransportOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    /// <summary>True for an <see cref="IPEndPoint"/> whose address belongs to one of the configured stacks.</summary>
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint ip && Find(ip) is not null;

    /// <summary>
    /// Starts listening on the stack that owns <paramref name="endpoint"/>'s address. Port 0 takes a
    /// free port from the stack's ephemeral range; the listener's <see cref="IConnectionListener.EndPoint"/>
    /// (which Kestrel reports as the bound address) carries it.
    /// </summary>
    /// <exception cref="NotSupportedException">No configured stack has that address.</exception>
    /// <exception cref="AddressInUseException">Something on the stack already listens on that port.</exception>
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (endpoint is not IPEndPoint ip || Find(ip) is not { } stack)
            throw new NotSupportedException($"{endpoint} is not the address of any RxTcp stack given to UseRxTcp.");
        return ValueTask.FromResult<IConnectionListener>(RxTcpConnectionListener.Start(stack, (ushort)ip.Port));
    }

    private TcpStack? Find(IPEndPoint endpoint)
    {
        foreach (var stack in _options.Stacks)
            if (stack.Address.ToIPAddress().Equals(endpoint.Address)) return stack;
        return null;
    }
}
