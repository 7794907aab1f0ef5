using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Security.Cryptography;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>Two stacks joined by a virtual wire on one virtual-time scheduler, plus a transfer driver.</summary>
internal sealed class TwoStackHarness : IDisposable
{
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");

    /// <param name="wire">The wire's MTU and impairments.</param>
    /// <param name="config">TCP settings of both stacks.</param>
    /// <param name="seed">Port-choice seed.</param>
    /// <param name="wrapServer">Decorates the server's end of the wire (e.g. a bottleneck router), given the scheduler.</param>
    /// <param name="wrapClient">Decorates the client's end of the wire.</param>
    public TwoStackHarness(VirtualWireOptions? wire = null, TcpConfig? config = null, int seed = 1,
        Func<ILink, IScheduler, ILink>? wrapServer = null, Func<ILink, IScheduler, ILink>? wrapClient = null)
    {
        Scheduler = new TestScheduler();
        Wire = new VirtualWire(Scheduler, wire);
        var tcp = config ?? TcpConfig.Default;
        ServerLink = wrapServer?.Invoke(Wire.EndA, Scheduler) ?? Wire.EndA;
        ClientLink = wrapClient?.Invoke(Wire.EndB, Scheduler) ?? Wire.EndB;
        Server = new TcpStack(ServerLink, new TcpStackOptions { Address = ServerAddress, Tcp = tcp, Seed = seed }, Scheduler);
        Client = new TcpStack(ClientLink, new TcpStackOptions { Address = ClientAddress, Tcp = tcp, Seed = seed + 1 }, Scheduler);
    }

    /// <summary>The link the server stack runs on (its end of the wire, decorated or not).</summary>
    public ILink ServerLink { get; }

    /// <summary>The link the client stack runs on.</summary>
    public ILink ClientLink { get; }

    public TestScheduler Scheduler { get; }
    public VirtualWire Wire { get; }
    public TcpStack Server { get; }
    public TcpStack Client { get; }

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        Wire.Dispose();
    }

    /// <summary>Result of one side of a transfer.</summary>
    public sealed class Side
    {
        public TcpConnection? Connection;
        public byte[] Sent = [];
        public MemoryStream ReceivedBytes = new();
        public bool ReceiveCompleted;
        public Exception? Error;
        public bool SendDone;
        public List<TcpState> States = new();
        public string SentHash => Convert.ToHexString(SHA256.HashData(Sent));
        public string ReceivedHash => Convert.ToHexString(SHA256.HashData(ReceivedBytes.ToArray()));
    }

    /// <summary>Listens, connects, sends both ways in chunks, closes each side once its data is queued and the peer's FIN arrived.</summary>
    public (Side Server, Side Client) Transfer(int serverBytes, int clientBytes, int seed, ushort port = 80, TimeSpan? limit = null)
    {
        var rng = new Random(seed);
        var server = new Side { Sent = new byte[serverBytes] };
        var client = new Side { Sent = new byte[clientBytes] };
        rng.NextBytes(server.Sent);
        rng.NextBytes(client.Sent);

        void Drive(Side side, TcpConnection c)
        {
            side.Connection = c;
            c.States.Subscribe(side.States.Add);
            c.Received.Subscribe(
                m => side.ReceivedBytes.Write(m.Span),
                e => side.Error = e,
                () => side.ReceiveCompleted = true);
            // Queue the data in 16 KiB chunks, each after the previous one is accepted (back-pressure).
            var chunks = Enumerable.Range(0, (side.Sent.Length + 16383) / 16384)
                .Select(i => side.Sent.AsMemory(i * 16384, Math.Min(16384, side.Sent.Length - i * 16384)));
            chunks.ToObservable().Select(m => c.Send(m)).Concat().Subscribe(
                _ => { }, e => side.Error = e, () => { side.SendDone = true; c.Close(); });
        }

        var listener = Server.Listen(port).Subscribe(c => Drive(server, c));
        Scheduler.AdvanceBy(1);
        Client.Connect(ServerAddress, port).Subscribe(c => Drive(client, c), e => client.Error = e);
        var end = Scheduler.Clock + (limit ?? TimeSpan.FromHours(1)).Ticks;
        while (Scheduler.Clock < end)
        {
            Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);
            if (Server.ConnectionCount == 0 && Client.ConnectionCount == 0 && client.Connection is not null) break;
            if (client.Error is not null && client.Connection is null) break;
        }
        listener.Dispose();
        return (server, client);
    }
}
