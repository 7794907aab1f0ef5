using Reactive.Tcp.Stack;

namespace Reactive.Tcp.AspNetCore;

/// <summary>Which stacks the RxTcp Kestrel transport serves.</summary>
public sealed class RxTcpTransportOptions
{
    /// <summary>
    /// The stacks Kestrel may listen on. An endpoint is served by the stack whose address it names;
    /// endpoints naming no stack are left to the other transports (normally sockets).
    /// </summary>
    public IList<TcpStack> Stacks { get; } = new List<TcpStack>();
}
