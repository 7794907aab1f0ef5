using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using RxTcp.Cli;

namespace Reactive.Tcp.Tests.Apps;

/// <summary>
/// Two stacks on an in-memory wire, in real time on one event loop (the apps use async code, which
/// virtual time cannot drive): the server 192.0.2.1 runs an app, the client 192.0.2.2 talks to it.
/// </summary>
internal sealed class AppRig : IDisposable
{
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <param name="wire">The wire's impairments.</param>
    /// <param name="serverPath">When given, wraps the server's end of the wire (to watch what the server sends).</param>
    public AppRig(VirtualWireOptions? wire = null, Func<ILink, ILink>? serverPath = null)
    {
        Loop = new StackLoop("app-rig");
        Wire = new VirtualWire(Loop, wire);
        Server = new TcpStack(serverPath is null ? Wire.EndA : serverPath(Wire.EndA), new TcpStackOptions { Address = ServerAddress, Seed = 1 }, Loop);
        Client = new TcpStack(Wire.EndB, new TcpStackOptions { Address = ClientAddress, Seed = 2 }, Loop);
    }

    public StackLoop Loop { get; }
    public VirtualWire Wire { get; }
    public TcpStack Server { get; }
    public TcpStack Client { get; }

    public Task<TcpConnection> ConnectAsync(ushort port) =>
        Client.Connect(ServerAddress, port).FirstAsync().ToTask().WaitAsync(Patience);

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        Wire.Dispose();
        Loop.Dispose();
    }
}

/// <summary>Collects what a connection receives, as bytes and as text, and lets a test wait for it.</summary>
internal sealed class Collector
{
    private readonly object _gate = new();
    private readonly MemoryStream _bytes = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Collector(TcpConnection connection) =>
        connection.Received.Subscribe(
            m => { lock (_gate) _bytes.Write(m.Span); },
            e => { Error = e; _ended.TrySetResult(); },
            () => _ended.TrySetResult());

    public Exception? Error { get; private set; }

    /// <summary>Completes at the peer's FIN (or a failure).</summary>
    public Task Ended => _ended.Task;

    public byte[] Bytes
    {
        get { lock (_gate) return _bytes.ToArray(); }
    }

    public string Text => Encoding.UTF8.GetString(Bytes);

    public async Task<string> WaitForAsync(Func<string, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + AppRig.Patience;
        while (!condition(Text))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited for {what}; got so far: {Text}");
            await Task.Delay(10);
        }
        return Text;
    }

    public Task<string> WaitForTextAsync(string expected) => WaitForAsync(t => t.Contains(expected, StringComparison.Ordinal), $"'{expected}'");
}
