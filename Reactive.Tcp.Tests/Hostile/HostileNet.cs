using Xunit;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>
/// A link decorator for attacks: frames can be injected into the stack as if they came off the
/// wire, and every frame in either direction is shown to an observer first (the attacker's or the
/// mutator's view of the real traffic). Injection is synchronous, so what the stack sends during an
/// <see cref="Inject"/> call is its answer to that frame.
/// </summary>
internal sealed class InjectLink : ILink
{
    private readonly ILink _inner;
    private readonly Subject<ReadOnlyMemory<byte>> _injected = new();

    public InjectLink(ILink inner)
    {
        _inner = inner;
        Inbound = _inner.Inbound.Do(f => OnInbound?.Invoke(f)).Merge(_injected);
    }

    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }
    public int Mtu => _inner.Mtu;
    public Action<ReadOnlyMemory<byte>>? OnInbound { get; set; }
    public Action<ReadOnlyMemory<byte>>? OnSend { get; set; }
    public long Sent { get; private set; }

    public void Inject(ReadOnlyMemory<byte> frame) => _injected.OnNext(frame);

    public void Send(ReadOnlyMemory<byte> packet)
    {
        Sent++;
        OnSend?.Invoke(packet);
        _inner.Send(packet);
    }

    public void Dispose() => _injected.OnCompleted();
}

/// <summary>
/// Two stacks on a virtual wire, the server's end wrapped in an <see cref="InjectLink"/>, with
/// byte-exact bookkeeping of long-running flows from client to server and back.
/// </summary>
internal sealed class HostileNet : IDisposable
{
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");

    private readonly List<IDisposable> _subscriptions = new();

    public HostileNet(VirtualWireOptions? wire = null, TcpConfig? config = null, StackLimits? serverLimits = null, StackLimits? clientLimits = null)
    {
        Scheduler = new TestScheduler();
        Wire = new VirtualWire(Scheduler, wire ?? new VirtualWireOptions { AToB = new Impairments { Delay = TimeSpan.FromMilliseconds(1) }, BToA = new Impairments { Delay = TimeSpan.FromMilliseconds(1) } });
        ServerLink = new InjectLink(Wire.EndA);
        var tcp = config ?? TcpConfig.Default;
        Server = new TcpStack(ServerLink, new TcpStackOptions { Address = ServerAddress, Tcp = tcp, Seed = 11, Limits = serverLimits ?? StackLimits.Default }, Scheduler);
        Client = new TcpStack(Wire.EndB, new TcpStackOptions { Address = ClientAddress, Tcp = tcp, Seed = 12, Limits = clientLimits ?? StackLimits.Default }, Scheduler);
    }

    public TestScheduler Scheduler { get; }
    public VirtualWire Wire { get; }
    public InjectLink ServerLink { get; }
    public TcpStack Server { get; }
    public TcpStack Client { get; }

    /// <summary>One connection's two byte streams and how it ended.</summary>
    internal sealed class Flow
    {
        public required byte[] ClientSends;
        public required byte[] ServerSends;
        public TcpConnection? ServerSide, ClientSide;
        public readonly MemoryStream ServerReceived = new(), ClientReceived = new();
        public Exception? ServerError, ClientError;
        public bool ServerDone, ClientDone;
        public ConnectionKey Key => ServerSide!.Key;
        public bool Complete => ServerDone && ClientDone;
        public bool Failed => ServerError is not null || ClientError is not null;
        /// <summary>An echo flow (<see cref="ConnectEcho"/>) got every byte back and the server's FIN.</summary>
        public bool Echoed => ClientDone && ClientReceived.Length == ClientSends.Length;

        /// <summary>Whatever was delivered must be a prefix of what was sent, complete or not.</summary>
        public string? Corruption()
        {
            static string? Check(string what, byte[] sent, MemoryStream got)
            {
                var bytes = got.GetBuffer().AsSpan(0, (int)got.Length);
                if (bytes.Length > sent.Length) return $"{what}: {bytes.Length} bytes delivered, only {sent.Length} sent";
                int diff = bytes.CommonPrefixLength(sent);
                return diff < bytes.Length ? $"{what}: delivered bytes differ from the sent ones at offset {diff}" : null;
            }
            return Check("client→server", ClientSends, ServerReceived) ?? Check("server→client", ServerSends, ClientReceived);
        }
    }

    /// <summary>Opens a flow on <paramref name="port"/>; each side sends its bytes in chunks, then closes.</summary>
    public Flow Open(ushort port, int clientBytes, int serverBytes, int seed)
    {
        var rng = new Random(seed);
        var flow = new Flow { ClientSends = new byte[clientBytes], ServerSends = new byte[serverBytes] };
        rng.NextBytes(flow.ClientSends);
        rng.NextBytes(flow.ServerSends);

        void Drive(TcpConnection c, byte[] data, MemoryStream into, Action<Exception> error, Action done)
        {
            _subscriptions.Add(c.Received.Subscribe(m => into.Write(m.Span), error, done));
            var chunks = Enumerable.Range(0, (data.Length + 16383) / 16384)
                .Select(i => data.AsMemory(i * 16384, Math.Min(16384, data.Length - i * 16384)));
            _subscriptions.Add(chunks.ToObservable().Select(m => c.Send(m)).Concat().Subscribe(_ => { }, error, c.Close));
        }

        _subscriptions.Add(Server.Listen(port).Subscribe(c =>
        {
            flow.ServerSide = c;
            Drive(c, flow.ServerSends, flow.ServerReceived, e => flow.ServerError = e, () => flow.ServerDone = true);
        }));
        Scheduler.AdvanceBy(1);
        _subscriptions.Add(Client.Connect(ServerAddress, port).Subscribe(c =>
        {
            flow.ClientSide = c;
            Drive(c, flow.ClientSends, flow.ClientReceived, e => flow.ClientError = e, () => flow.ClientDone = true);
        }, e => flow.ClientError = e));
        Run(TimeSpan.FromMilliseconds(20));
        return flow;
    }

    /// <summary>A spoofed SYN to the server from <paramref name="source"/>, as a SYN flood sends them.</summary>
    public void InjectSyn(IPv4Address source, ushort sourcePort, ushort port, uint seq) =>
        ServerLink.Inject(PacketBuilder.BuildTcp(source, ServerAddress, new TcpSegment
        {
            SourcePort = sourcePort,
            DestinationPort = port,
            Seq = new SeqNum(seq),
            Flags = TcpFlags.Syn,
            Window = 65535,
            Options = new TcpOptions { Mss = 1460 },
        }));

    /// <summary>The server echoes every byte it receives on <paramref name="port"/> and closes after the client's FIN.</summary>
    public void ListenEcho(ushort port, int? backlog = null)
    {
        var listen = backlog is { } b ? Server.Listen(port, b) : Server.Listen(port);
        _subscriptions.Add(listen.Subscribe(c =>
            _subscriptions.Add(c.Received.Select(m => c.Send(m.ToArray())).Concat().Subscribe(_ => { }, _ => c.Abort(), c.Close))));
        Scheduler.AdvanceBy(1);
    }

    /// <summary>
    /// A client that sends <paramref name="data"/> to an echo server and closes. The flow is
    /// <see cref="Flow.Echoed"/> once the client has got all of it back and the server's FIN.
    /// </summary>
    public Flow ConnectEcho(ushort port, byte[] data)
    {
        var flow = new Flow { ClientSends = data, ServerSends = data };
        _subscriptions.Add(Client.Connect(ServerAddress, port).Subscribe(c =>
        {
            flow.ClientSide = c;
            _subscriptions.Add(c.Received.Subscribe(m => flow.ClientReceived.Write(m.Span), e => flow.ClientError = e, () => flow.ClientDone = true));
            _subscriptions.Add(c.Send(data).Subscribe(_ => { }, e => flow.ClientError = e, c.Close));
        }, e => flow.ClientError = e));
        return flow;
    }

    public void Run(TimeSpan span) => Scheduler.AdvanceBy(span.Ticks);

    /// <summary>Runs until <paramref name="done"/> holds or <paramref name="limit"/> of virtual time passes.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Scheduler.Clock + limit.Ticks;
        while (Scheduler.Clock < end)
        {
            if (done()) return true;
            Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
        }
        return done();
    }

    /// <summary>A ping from the client side gets an answer from the server.</summary>
    public bool ServerAnswersPing()
    {
        long before = Server.Counters.EchoReplies;
        ServerLink.Inject(PacketBuilder.BuildIcmpEchoRequest(ClientAddress, ServerAddress, 9, 9, "still there?"u8));
        return Server.Counters.EchoReplies == before + 1;
    }

    /// <summary>Fails unless both stacks are free of pipeline faults.</summary>
    public void AssertNoFaults()
    {
        Assert.Null(Server.PipelineError);
        Assert.Null(Client.PipelineError);
        Assert.Equal(0, Server.Counters.PipelineFaults);
        Assert.Equal(0, Client.Counters.PipelineFaults);
    }

    public void Dispose()
    {
        foreach (var s in _subscriptions) s.Dispose();
        Server.Dispose();
        Client.Dispose();
        Wire.Dispose();
    }
}
