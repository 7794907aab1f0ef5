using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Soak;

/// <summary>How a soak connection is meant to end.</summary>
internal enum Ending
{
    /// <summary>Both sides send everything and close; every byte must arrive.</summary>
    Graceful,
    /// <summary>The client application aborts at a random moment (RST to the server).</summary>
    ClientAborts,
    /// <summary>The server application aborts at a random moment (the client sees the peer's RST).</summary>
    ServerAborts,
    /// <summary>The path goes silent both ways at a random moment: both sides must time out.</summary>
    Blackholed,
    /// <summary>The SYN goes nowhere: the connect attempt must time out.</summary>
    SynBlackholed,
    /// <summary>Nobody listens on the port: the connect attempt must be refused.</summary>
    Refused,
}

/// <summary>
/// Churn in virtual time: two stacks on an impaired <see cref="VirtualWire"/> (loss, duplication,
/// reordering, jitter, corruption), thousands of connections opened over simulated hours, each
/// moving a random amount both ways and ending in one of the <see cref="Ending"/>s. Each
/// connection's bytes are a function of its id and offset, so both ends check every byte without
/// keeping payloads; connections are identified to the server by a 4-byte id the client sends first.
/// Everything random derives from the seed, so a failing seed replays exactly.
/// </summary>
internal sealed class ChurnSoak : IDisposable
{
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");
    private const ushort FirstServicePort = 1000;
    private const int ServicePorts = 4;
    private const ushort ClosedPort = 1098;
    private const ushort SynBlackholePort = 1099;
    private const int HeaderLength = 4;

    private readonly Random _rng;
    private readonly int _maxPayload;
    private readonly Flow[] _flows;
    private readonly List<IDisposable> _listeners = new();
    private readonly HashSet<ushort> _deadClientPorts = new();
    private readonly HashSet<ushort> _deadServerPorts = [SynBlackholePort];
    private readonly List<string> _problems = new();
    private readonly List<Flow> _live = new();
    private int _scheduled;
    private long _serverAccepted, _serverTerminated;

    public ChurnSoak(int seed, int connections, int maxPayload, Impairments impairments, TcpConfig config)
    {
        Seed = seed;
        _rng = new Random(seed);
        _maxPayload = maxPayload;
        Scheduler = new ProbingScheduler();
        Wire = new VirtualWire(Scheduler, new VirtualWireOptions
        {
            AToB = impairments with { Seed = unchecked(seed * 2) },
            BToA = impairments with { Seed = unchecked(seed * 2 + 1) },
        });
        var sent = new ConditionalWeakTable<byte[], object>();
        ServerLink = new FaultLink(Wire.EndA, isClient: false, _deadClientPorts, _deadServerPorts, sent);
        ClientLink = new FaultLink(Wire.EndB, isClient: true, _deadClientPorts, _deadServerPorts, sent);
        Server = new TcpStack(ServerLink, new TcpStackOptions { Address = ServerAddress, Tcp = config, Seed = seed }, Scheduler);
        Client = new TcpStack(ClientLink, new TcpStackOptions { Address = ClientAddress, Tcp = config, Seed = unchecked(seed + 7777) }, Scheduler);
        for (int p = 0; p < ServicePorts; p++)
        {
            var port = (ushort)(FirstServicePort + p);
            _listeners.Add(Server.Listen(port).Subscribe(OnAccepted, e => _problems.Add($"listen {port}: {e.Message}")));
        }

        // Every flow's bookkeeping exists before the first one starts, so the memory the run
        // allocates for good is known up front and the end-of-run heap compares like with like.
        _flows = new Flow[connections];
        for (int i = 0; i < connections; i++)
        {
            var ending = _rng.Next(100) switch
            {
                < 55 => Ending.Graceful,
                < 67 => Ending.ClientAborts,
                < 79 => Ending.ServerAborts,
                < 91 => Ending.Blackholed,
                < 96 => Ending.SynBlackholed,
                _ => Ending.Refused,
            };
            // Faults are meant to strike mid-transfer, so those flows move enough to still be busy.
            bool faulty = ending is Ending.ClientAborts or Ending.ServerAborts or Ending.Blackholed;
            _flows[i] = faulty
                ? new Flow(i, ending, _rng.Next(_maxPayload / 4, _maxPayload + 1), _rng.Next(_maxPayload / 4, _maxPayload + 1))
                : new Flow(i, ending, DrawSize(), DrawSize());
        }
    }

    public int Seed { get; }
    public ProbingScheduler Scheduler { get; }
    public VirtualWire Wire { get; }
    public FaultLink ServerLink { get; }
    public FaultLink ClientLink { get; }
    public TcpStack Server { get; }
    public TcpStack Client { get; }
    public int Started => _scheduled;
    public long BytesDelivered { get; private set; }

    /// <summary>
    /// Starts the next <paramref name="count"/> connections at random moments over <paramref name="span"/>
    /// (a third of them in bursts of a few dozen at once), then runs until every one has ended on
    /// both sides and both stacks are empty, or until <paramref name="limit"/> after the last start.
    /// </summary>
    public void RunWave(int count, TimeSpan span, TimeSpan limit)
    {
        long start = Scheduler.Clock;
        long burstAt = start;
        int end = Math.Min(_flows.Length, _scheduled + count);
        for (int i = _scheduled; i < end; i++)
        {
            if (_rng.Next(40) == 0) burstAt = start + _rng.NextInt64(span.Ticks);
            long at = _rng.Next(3) == 0 ? burstAt : start + _rng.NextInt64(span.Ticks);
            Scheduler.ScheduleAbsolute(_flows[i], Math.Max(at, start + 1), (_, f) => { StartFlow(f); return System.Reactive.Disposables.Disposable.Empty; });
        }
        _scheduled = end;

        long lastStart = start + span.Ticks;
        long second = TimeSpan.TicksPerSecond;
        try
        {
            while (Scheduler.Clock < lastStart + limit.Ticks)
            {
                Scheduler.AdvanceBy(second);
                SealSettled();
                if (Scheduler.Clock >= lastStart && Quiet()) break;
            }
            // Whatever is still on the wire (delay, jitter, reordering) arrives or is dropped.
            Scheduler.AdvanceBy(2 * second);
        }
        catch (Exception e)
        {
            _problems.Add("exception escaped the scheduler: " + e);
        }
    }

    /// <summary>Every started flow has ended on both sides and neither stack holds a connection.</summary>
    public bool Quiet() =>
        _live.Count == 0 && Server.ConnectionCount == 0 && Client.ConnectionCount == 0 && _serverAccepted == _serverTerminated;

    /// <summary>
    /// Flows that ended on both sides let go of their connections (so what the run keeps for good
    /// is only each flow's small record) and of their blackhole, so the port can be used again.
    /// </summary>
    private void SealSettled()
    {
        for (int i = _live.Count - 1; i >= 0; i--)
        {
            var flow = _live[i];
            if (!flow.Settled) continue;
            flow.Seal();
            if (flow.BlackholedPort != 0)
            {
                _deadClientPorts.Remove(flow.BlackholedPort);
                Client.PortAllocator.Release(flow.BlackholedPort);
            }
            _live[i] = _live[^1];
            _live.RemoveAt(_live.Count - 1);
        }
    }

    /// <summary>What went wrong so far: per-flow checks of the started flows, and the stacks' own faults.</summary>
    public List<string> Problems()
    {
        var p = new List<string>(_problems);
        for (int i = 0; i < _scheduled; i++) _flows[i].Check(p);
        foreach (var (name, stack) in new[] { ("server", Server), ("client", Client) })
        {
            if (stack.PipelineError is not null) p.Add($"{name} pipeline error: {stack.PipelineError}");
            if (stack.Counters.PipelineFaults != 0) p.Add($"{name} pipeline faults: {stack.Counters.PipelineFaults}");
            if (stack.ConnectionCount != 0) p.Add($"{name} still has {stack.ConnectionCount} connection block(s)");
            if (stack.Connections.Count != 0) p.Add($"{name} connection table still lists {stack.Connections.Count}: {string.Join(", ", stack.Connections.Items.Take(5))}");
        }
        if (_serverAccepted != _serverTerminated) p.Add($"server accepted {_serverAccepted} connections, {_serverTerminated} ended");
        for (int port = 1; port <= ushort.MaxValue; port++)
        {
            bool listening = port is >= FirstServicePort and < FirstServicePort + ServicePorts;
            if (Client.Ports.InUse((ushort)port)) p.Add($"client port {port} still in use");
            if (Server.Ports.InUse((ushort)port) != listening) p.Add($"server port {port} in use: {!listening}");
        }
        return p;
    }

    /// <summary>How the started flows ended: by intended ending, then each side's error.</summary>
    public string Outcomes()
    {
        var sb = new StringBuilder();
        foreach (var group in _flows.Take(_scheduled).GroupBy(f => f.Ending).OrderBy(g => g.Key))
        {
            sb.Append($"{group.Key}: {group.Count()} (");
            sb.Append(string.Join(", ", group.GroupBy(f => f.Outcome).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} ×{g.Count()}")));
            sb.AppendLine(")");
        }
        return sb.ToString();
    }

    public string Counters() =>
        $"server: {Server.Counters}; drops: {Server.Drops}\nclient: {Client.Counters}; drops: {Client.Drops}\n" +
        $"wire s>c: {Wire.AToBCounters}\nwire c>s: {Wire.BToACounters}\n" +
        $"blackholed packets: server {ServerLink.Blackholed}, client {ClientLink.Blackholed}; checksum-blind corruptions withheld: {ServerLink.ChecksumBlind + ClientLink.ChecksumBlind}";

    public void Dispose()
    {
        foreach (var l in _listeners) l.Dispose();
        Server.Dispose();
        Client.Dispose();
        Wire.Dispose();
    }

    /// <summary>Byte <paramref name="offset"/> of flow <paramref name="id"/>'s stream in one direction: both ends compute it, nobody stores it.</summary>
    public static byte PayloadByte(int id, bool fromClient, long offset)
    {
        uint x = unchecked((uint)offset * 0x9E3779B1u ^ (uint)(id * 2 + (fromClient ? 1 : 0)) * 0x85EBCA77u + (uint)(offset >> 32));
        x ^= x >> 15;
        x = unchecked(x * 0x2C1B3C6Du);
        x ^= x >> 12;
        return (byte)x;
    }

    private int DrawSize() => _rng.Next(10) switch
    {
        < 4 => _rng.Next(0, Math.Min(_maxPayload, 2_000) + 1),
        < 8 => _rng.Next(0, Math.Min(_maxPayload, 32_000) + 1),
        _ => _rng.Next(0, _maxPayload + 1),
    };

    private void StartFlow(Flow flow)
    {
        flow.Started = true;
        _live.Add(flow);
        ushort port = flow.Ending switch
        {
            Ending.SynBlackholed => SynBlackholePort,
            Ending.Refused => ClosedPort,
            _ => (ushort)(FirstServicePort + flow.Id % ServicePorts),
        };
        Client.Connect(ServerAddress, port).Subscribe(
            c => OnClientConnected(flow, c),
            e => flow.ConnectFailure = Failure.Of(e));
    }

    private void OnClientConnected(Flow flow, TcpConnection c)
    {
        flow.ClientConnection = c;
        c.States.Subscribe(_ => { }, e => flow.Fault($"client states failed: {e.Message}"), () => flow.ClientClosed = true);
        c.Received.Subscribe(
            m => Verify(flow, fromClient: false, ref flow.ClientReceived, m.Span),
            e => flow.ClientReceiveFailure = Failure.Of(e),
            () => flow.ClientReceiveCompleted = true);

        var data = new byte[HeaderLength + flow.ClientBytes];
        BitConverter.TryWriteBytes(data, flow.Id);
        for (int i = 0; i < flow.ClientBytes; i++) data[HeaderLength + i] = PayloadByte(flow.Id, fromClient: true, i);
        SendAll(c, data, () => flow.ClientSendDone = true, e => flow.ClientSendFailure = Failure.Of(e));
        ScheduleFault(flow, client: true, c);
    }

    private void OnAccepted(TcpConnection c)
    {
        _serverAccepted++;
        c.States.Subscribe(_ => { }, _ => { }, () => _serverTerminated++);
        var header = new byte[HeaderLength];
        int headerBytes = 0;
        Flow? flow = null;
        c.Received.Subscribe(
            m =>
            {
                var span = m.Span;
                if (flow is null)
                {
                    int take = Math.Min(HeaderLength - headerBytes, span.Length);
                    span[..take].CopyTo(header.AsSpan(headerBytes));
                    headerBytes += take;
                    span = span[take..];
                    if (headerBytes < HeaderLength) return;
                    int id = BitConverter.ToInt32(header);
                    if (id < 0 || id >= _scheduled || _flows[id].ServerSeen)
                    {
                        _problems.Add($"server: connection {c.Key} names flow {id}, which is unknown or already served");
                        c.Abort();
                        return;
                    }
                    flow = _flows[id];
                    AttachServer(flow, c);
                }
                Verify(flow, fromClient: true, ref flow.ServerReceived, span);
            },
            e => { if (flow is not null) flow.ServerReceiveFailure = Failure.Of(e); },
            () => { if (flow is not null) flow.ServerReceiveCompleted = true; });
    }

    private void AttachServer(Flow flow, TcpConnection c)
    {
        // The id can arrive after the client's end has finished (reordered data ahead of a RST).
        if (flow.Sealed) _live.Add(flow);
        flow.ServerSeen = true;
        flow.Sealed = false;
        flow.ServerConnection = c;
        c.States.Subscribe(_ => { }, e => flow.Fault($"server states failed: {e.Message}"), () => flow.ServerClosed = true);
        var data = new byte[flow.ServerBytes];
        for (int i = 0; i < data.Length; i++) data[i] = PayloadByte(flow.Id, fromClient: false, i);
        SendAll(c, data, () => flow.ServerSendDone = true, e => flow.ServerSendFailure = Failure.Of(e));
        ScheduleFault(flow, client: false, c);
    }

    /// <summary>Aborts or blackholes at a random moment within the next 400 ms (mostly mid-transfer), as the flow's ending asks.</summary>
    private void ScheduleFault(Flow flow, bool client, TcpConnection c)
    {
        long delay = _rng.NextInt64(TimeSpan.FromMilliseconds(400).Ticks);
        switch (flow.Ending)
        {
            case Ending.ClientAborts when client:
            case Ending.ServerAborts when !client:
                Scheduler.ScheduleRelative(c, delay, (_, conn) => { conn.Abort(); return System.Reactive.Disposables.Disposable.Empty; });
                break;
            case Ending.Blackholed when client:
                Scheduler.ScheduleRelative(flow, delay, (_, f) =>
                {
                    // A flow that already ended has given its port back; it may belong to another by now.
                    if (f.Sealed) return System.Reactive.Disposables.Disposable.Empty;
                    f.BlackholedPort = c.Key.LocalPort;
                    _deadClientPorts.Add(f.BlackholedPort);
                    // Held until both ends are done: the client end may time out first and free the
                    // port, and a new connection on it would inherit the dead path (a test artefact).
                    Client.PortAllocator.TryClaim(f.BlackholedPort, exclusive: false);
                    return System.Reactive.Disposables.Disposable.Empty;
                });
                break;
        }
    }

    // Chunks of random size, each queued once the previous one is in the send buffer (back-pressure); then a graceful close.
    private void SendAll(TcpConnection c, byte[] data, Action done, Action<Exception> failed)
    {
        int chunk = _rng.Next(1, 20_000);
        Enumerable.Range(0, (data.Length + chunk - 1) / chunk)
            .Select(i => data.AsMemory(i * chunk, Math.Min(chunk, data.Length - i * chunk)))
            .ToObservable()
            .Select(m => c.Send(m))
            .Concat()
            .Subscribe(_ => { }, failed, () =>
            {
                done();
                c.Close();
            });
    }

    private void Verify(Flow flow, bool fromClient, ref long received, ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != PayloadByte(flow.Id, fromClient, received + i))
            {
                flow.Fault($"{(fromClient ? "server" : "client")} received a wrong byte at offset {received + i}");
                break;
            }
        }
        received += bytes.Length;
        BytesDelivered += bytes.Length;
        if (received > (fromClient ? flow.ClientBytes : flow.ServerBytes)) flow.Fault($"{(fromClient ? "server" : "client")} received {received} bytes, more than were sent");
    }

    /// <summary>
    /// How an observable failed, kept as values: the exceptions themselves (with their stack
    /// traces) would be thousands of objects the run keeps after its heap baseline.
    /// </summary>
    private readonly record struct Failure(TcpError? Error, bool OtherException)
    {
        public static Failure Of(Exception e) => new((e as TcpException)?.Error, e is not TcpException);

        public override string ToString() => Error?.ToString() ?? (OtherException ? "non-TCP exception" : "?");
    }

    /// <summary>One connection's plan and what each of its ends saw.</summary>
    private sealed class Flow(int id, Ending ending, int clientBytes, int serverBytes)
    {
        public readonly int Id = id;
        public readonly Ending Ending = ending;
        public readonly int ClientBytes = clientBytes;
        public readonly int ServerBytes = serverBytes;
        public long ClientReceived, ServerReceived;
        public bool Started, ClientClosed, ServerClosed, ClientSendDone, ServerSendDone, ClientReceiveCompleted, ServerReceiveCompleted;
        public Failure? ConnectFailure, ClientReceiveFailure, ServerReceiveFailure, ClientSendFailure, ServerSendFailure;
        public TcpConnection? ClientConnection, ServerConnection;
        public bool ServerSeen, Sealed;
        public ushort BlackholedPort;
        private ConnectionKey? _clientKey;
        private TcpError? _clientError, _serverError;
        private string? _fault;

        public void Fault(string what) => _fault ??= what;

        private bool ClientDone => ConnectFailure is not null || _clientError is not null || ClientConnection is not null && ClientClosed && (ClientReceiveCompleted || ClientReceiveFailure is not null);

        // A server end that never learnt its flow id is accounted for by the accepted/ended counts.
        private bool ServerDone => !ServerSeen || _serverError is not null || ServerClosed && (ServerReceiveCompleted || ServerReceiveFailure is not null);

        public bool Settled => Started && ClientDone && ServerDone;

        /// <summary>Keeps how each end finished and drops the connections themselves.</summary>
        public void Seal()
        {
            Sealed = true;
            if (ClientConnection is { } client)
            {
                _clientKey = client.Key;
                _clientError = client.Error;
                ClientConnection = null;
            }
            if (ServerConnection is { } server)
            {
                _serverError = server.Error;
                ServerConnection = null;
            }
        }

        private TcpError? ClientError => ClientConnection?.Error ?? _clientError;
        private TcpError? ServerError => ServerConnection?.Error ?? _serverError;
        private bool ClientComplete => ClientError == TcpError.None && ClientReceiveCompleted && ClientReceived == ServerBytes && ClientSendDone;
        private bool ServerComplete => ServerError == TcpError.None && ServerReceiveCompleted && ServerReceived == ClientBytes && ServerSendDone;

        public string Outcome => ConnectFailure is not null
            ? "connect " + ConnectFailure
            : $"client {(ClientComplete ? "complete" : ClientError?.ToString())}, server {(!ServerSeen ? "unseen" : ServerComplete ? "complete" : ServerError?.ToString())}";

        public void Check(List<string> p)
        {
            string Where(string what) => $"flow {Id} ({Ending}, client {ClientBytes} B, server {ServerBytes} B, {(ClientConnection?.Key ?? _clientKey)?.ToString() ?? "no connection"}): {what}";
            if (_fault is not null) p.Add(Where(_fault));
            if (!Settled)
            {
                p.Add(Where($"did not end: client {ClientConnection?.State} received {ClientReceived}, server {(!ServerSeen ? "unseen" : $"{ServerConnection?.State} received {ServerReceived}")}, {Outcome}"));
                return;
            }
            var connectError = ConnectFailure?.Error;
            switch (Ending)
            {
                case Ending.Graceful:
                    if (!ClientComplete || !ServerComplete)
                        p.Add(Where($"graceful flow did not complete: {Outcome}; client got {ClientReceived}/{ServerBytes}, server got {ServerReceived}/{ClientBytes}; failures: connect {ConnectFailure}, client receive {ClientReceiveFailure} send {ClientSendFailure}, server receive {ServerReceiveFailure} send {ServerSendFailure}"));
                    break;
                case Ending.ClientAborts:
                    if (ConnectFailure is not null) p.Add(Where($"connect failed: {ConnectFailure}"));
                    else if (!ClientComplete && ClientError != TcpError.Aborted) p.Add(Where($"client aborted but ended with {ClientError}"));
                    break;
                case Ending.ServerAborts:
                    if (ConnectFailure is not null) p.Add(Where($"connect failed: {ConnectFailure}"));
                    else if (ServerSeen && !ServerComplete && ServerError != TcpError.Aborted) p.Add(Where($"server aborted but ended with {ServerError}"));
                    break;
                case Ending.Blackholed:
                    if (ConnectFailure is not null) p.Add(Where($"connect failed: {ConnectFailure}"));
                    else
                    {
                        if (!ClientComplete && ClientError != TcpError.TimedOut) p.Add(Where($"client on a dead path ended with {ClientError}, not TimedOut"));
                        if (ServerSeen && !ServerComplete && ServerError != TcpError.TimedOut) p.Add(Where($"server on a dead path ended with {ServerError}, not TimedOut"));
                    }
                    break;
                case Ending.SynBlackholed:
                    if (connectError != TcpError.TimedOut) p.Add(Where($"connect to a dead port ended with {Outcome}, not timed out"));
                    break;
                case Ending.Refused:
                    if (connectError != TcpError.Refused) p.Add(Where($"connect to a closed port ended with {Outcome}, not refused"));
                    break;
            }
        }
    }
}
