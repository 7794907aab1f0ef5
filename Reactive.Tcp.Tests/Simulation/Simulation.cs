using System.Reactive.Linq;
using System.Text;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Simulation;

/// <summary>
/// One seeded run: two stacks on a virtual-time scheduler joined by an impaired <see cref="VirtualWire"/>,
/// any number of flows (one connection each, data both ways, then a graceful close from each side),
/// and the checks that every run must pass. Everything random (payloads, chunking, connect times,
/// ISNs, ephemeral ports, the wire's impairments) derives from the seed, so a failing seed replays exactly.
/// </summary>
internal sealed class Simulation : IDisposable
{
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");

    private readonly Random _rng;
    private readonly List<Flow> _flows = new();
    private readonly List<IDisposable> _listeners = new();
    private readonly List<string> _escaped = new();

    public Simulation(string profile, int seed, Impairments aToB, Impairments bToA, TcpConfig serverConfig, TcpConfig clientConfig, long packetBudget = 400_000, int traceLength = 40)
    {
        Profile = profile;
        Seed = seed;
        _rng = new Random(seed);
        Scheduler = new TestScheduler();
        Wire = new VirtualWire(Scheduler, new VirtualWireOptions
        {
            AToB = aToB with { Seed = unchecked(seed * 2) },
            BToA = bToA with { Seed = unchecked(seed * 2 + 1) },
        });
        Trace = new PacketTrace(traceLength);
        var ledger = new SentLedger();
        ServerTap = new WireTap(Wire.EndA, "server", ServerAddress, Scheduler, Trace, ledger, packetBudget, () => Wire.AToBCounters.Sent + Wire.BToACounters.Sent);
        ClientTap = new WireTap(Wire.EndB, "client", ClientAddress, Scheduler, Trace, ledger, packetBudget, () => Wire.AToBCounters.Sent + Wire.BToACounters.Sent);

        // In a quarter of the runs each side starts its sequence numbers just below 2^32, so transfers wrap.
        bool wrapServer = _rng.Next(4) == 0, wrapClient = _rng.Next(4) == 0;
        Server = new TcpStack(ServerTap, new TcpStackOptions
        {
            Address = ServerAddress,
            Tcp = serverConfig with { IsnGenerator = (key, _) => Isn(seed, key, wrapServer) },
            Seed = seed,
        }, Scheduler);
        Client = new TcpStack(ClientTap, new TcpStackOptions
        {
            Address = ClientAddress,
            Tcp = clientConfig with { IsnGenerator = (key, _) => Isn(seed, key, wrapClient) },
            Seed = unchecked(seed + 7777),
        }, Scheduler);
    }

    public string Profile { get; }
    public int Seed { get; }
    public TestScheduler Scheduler { get; }
    public VirtualWire Wire { get; }
    public PacketTrace Trace { get; }
    public WireTap ServerTap { get; }
    public WireTap ClientTap { get; }
    public TcpStack Server { get; }
    public TcpStack Client { get; }
    public IReadOnlyList<Flow> Flows => _flows;

    /// <summary>
    /// Longest a side waits after connecting before it starts reading; meanwhile data piles up in its
    /// receive buffer and the window closes, which exercises flow control and the persist timer.
    /// </summary>
    public TimeSpan MaxReaderDelay { get; init; }

    /// <summary>A payload size drawn from sizes around the interesting boundaries (MSS, windows, buffers).</summary>
    public static int DrawSize(Random rng) => rng.Next(10) switch
    {
        0 => 0,
        1 => rng.Next(1, 600),
        2 => 536 * rng.Next(1, 4) + rng.Next(-1, 2),
        3 => 1460 * rng.Next(1, 11) + rng.Next(-1, 2),
        4 => rng.Next(600, 20_000),
        5 => 65_535 + rng.Next(-2, 3),
        6 => rng.Next(20_000, 120_000),
        7 => 262_144 + rng.Next(-1, 2),
        8 => rng.Next(120_000, 400_000),
        _ => rng.Next(1, 50_000),
    };

    /// <summary>Adds a flow on its own server port: the server sends <paramref name="serverBytes"/>, the client <paramref name="clientBytes"/>.</summary>
    public Flow AddFlow(ushort port, int serverBytes, int clientBytes, TimeSpan connectAt)
    {
        var flow = new Flow(port, NewPayload(serverBytes), NewPayload(clientBytes));
        _flows.Add(flow);
        int serverChunk = _rng.Next(1, 40_000), clientChunk = _rng.Next(1, 40_000);
        _listeners.Add(Server.Listen(port).Subscribe(
            c =>
            {
                if (flow.Server.Connection is not null) flow.Server.Errors.Add($"second connection accepted on port {port}: {c}");
                else Drive(flow.Server, c, serverChunk);
            },
            e => flow.Server.Errors.Add("listen: " + e.Message)));
        Scheduler.ScheduleAbsolute(flow, Scheduler.Clock + Math.Max(1, connectAt.Ticks), (_, f) =>
            Client.Connect(ServerAddress, port).Subscribe(
                c => Drive(f.Client, c, clientChunk),
                e => f.Client.Errors.Add("connect: " + e.Message)));
        return flow;
    }

    /// <summary>Runs until both stacks have no connection left (TIME-WAIT included) or <paramref name="limit"/> of virtual time passes.</summary>
    public void Run(TimeSpan limit)
    {
        var end = Scheduler.Clock + limit.Ticks;
        var step = TimeSpan.FromMilliseconds(100).Ticks;
        while (Scheduler.Clock < end)
        {
            try
            {
                Scheduler.AdvanceBy(step);
            }
            catch (Exception e)
            {
                _escaped.Add(e.ToString());
                break;
            }
            if (Server.ConnectionCount == 0 && Client.ConnectionCount == 0 && _flows.All(f => f.Settled)) break;
        }
        // Let packets still on the wire (delay, jitter, reordering) arrive, so the accounting of
        // corrupted arrivals covers everything the wire corrupted.
        try
        {
            Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        }
        catch (Exception e)
        {
            _escaped.Add(e.ToString());
        }
        foreach (var l in _listeners) l.Dispose();
    }

    /// <summary>Everything wrong with the run; empty when it passed.</summary>
    public List<string> Problems()
    {
        var p = new List<string>();
        foreach (var e in _escaped) p.Add("exception escaped the scheduler: " + e);
        foreach (var (name, stack) in new[] { ("server", Server), ("client", Client) })
        {
            if (stack.PipelineError is not null) p.Add($"{name} pipeline error: {stack.PipelineError}");
            if (stack.Counters.PipelineFaults != 0) p.Add($"{name} pipeline faults: {stack.Counters.PipelineFaults}");
            if (stack.ConnectionCount != 0) p.Add($"{name} still has {stack.ConnectionCount} connection(s) at t={Scheduler.Clock / TimeSpan.TicksPerSecond} s");
        }
        if (ServerTap.BudgetExceeded || ClientTap.BudgetExceeded) p.Add("packet budget exceeded (livelock?): the wire was cut");

        foreach (var f in _flows)
        {
            CheckSide(p, f, "server", f.Server, f.Client);
            CheckSide(p, f, "client", f.Client, f.Server);
        }

        CheckCorruption(p, "server", ServerTap, Server, Wire.BToACounters);
        CheckCorruption(p, "client", ClientTap, Client, Wire.AToBCounters);
        return p;
    }

    /// <summary>The seed, the profile, every problem, the flows, the counters and the last packets.</summary>
    public string Report(IReadOnlyList<string> problems)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"profile '{Profile}' seed {Seed}: {problems.Count} problem(s), virtual time {TimeSpan.FromTicks(Scheduler.Clock)}");
        foreach (var problem in problems.Take(12)) sb.AppendLine("  - " + problem);
        if (problems.Count > 12) sb.AppendLine($"  - … {problems.Count - 12} more");
        foreach (var f in _flows.Where(f => !f.Ok).Take(5)) sb.AppendLine("  " + f);
        sb.AppendLine($"  server: {Server.Counters}; drops: {Server.Drops}");
        sb.AppendLine($"  client: {Client.Counters}; drops: {Client.Drops}");
        sb.AppendLine($"  wire server>client: {Wire.AToBCounters}");
        sb.AppendLine($"  wire client>server: {Wire.BToACounters}");
        sb.AppendLine("  last packets (tx = handed to the wire, rx = arrived):");
        sb.Append(Trace.Format());
        return sb.ToString();
    }

    public void Dispose()
    {
        foreach (var l in _listeners) l.Dispose();
        Server.Dispose();
        Client.Dispose();
        Wire.Dispose();
    }

    private byte[] NewPayload(int size)
    {
        var bytes = new byte[size];
        _rng.NextBytes(bytes);
        return bytes;
    }

    private void Drive(Side side, TcpConnection c, int chunk)
    {
        side.Connection = c;
        c.States.Subscribe(side.States.Add);
        var readerDelay = MaxReaderDelay > TimeSpan.Zero ? _rng.NextInt64(MaxReaderDelay.Ticks) : 0;
        Scheduler.ScheduleRelative(side, readerDelay, (_, s) => c.Received.Subscribe(
            m => s.Received.Write(m.Span),
            e => s.Errors.Add("receive: " + e.Message),
            () => s.ReceiveCompleted = true));
        // Each chunk is queued only once the previous one is in the send buffer (back-pressure).
        var sent = side.Payload;
        Enumerable.Range(0, (sent.Length + chunk - 1) / chunk)
            .Select(i => sent.AsMemory(i * chunk, Math.Min(chunk, sent.Length - i * chunk)))
            .ToObservable()
            .Select(m => c.Send(m))
            .Concat()
            .Subscribe(
                _ => { },
                e => side.Errors.Add("send: " + e.Message),
                () =>
                {
                    side.SendDone = true;
                    c.Close();
                });
    }

    private static void CheckSide(List<string> p, Flow f, string name, Side side, Side peer)
    {
        string Where(string what) => $"port {f.Port} {name}: {what}";
        foreach (var e in side.Errors) p.Add(Where("application error: " + e));
        if (side.Connection is null)
        {
            p.Add(Where("never connected"));
            return;
        }
        if (!side.SendDone) p.Add(Where("send did not complete"));
        if (!side.ReceiveCompleted) p.Add(Where("receive did not complete"));
        var got = side.Received.ToArray();
        if (Side.Sha(got) != Side.Sha(peer.Payload))
        {
            int at = got.AsSpan().CommonPrefixLength(peer.Payload);
            p.Add(Where($"received {got.Length} bytes, expected {peer.Payload.Length} (SHA-256 {Side.Sha(got)} vs {Side.Sha(peer.Payload)}); first difference at offset {at}"));
        }
        if (side.Connection.State != TcpState.Closed) p.Add(Where($"ended in {side.Connection.State}"));
        if (side.Connection.Error != TcpError.None) p.Add(Where($"connection error {side.Connection.Error}"));
    }

    private static readonly DropReason[] FragmentDrops =
    [
        DropReason.Fragment, DropReason.FragmentTimeout, DropReason.FragmentOverlap, DropReason.FragmentTooLong,
        DropReason.TinyFragment, DropReason.BadFragment, DropReason.FragmentMemoryLimit,
    ];

    private static void CheckCorruption(List<string> p, string name, WireTap tap, TcpStack stack, WireCounters inbound)
    {
        if (tap.CorruptedArrivals != inbound.Corrupted)
            p.Add($"{name}: {tap.CorruptedArrivals} corrupted packets arrived, the wire corrupted {inbound.Corrupted}");
        long caught = 0;
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            long expected = tap.ExpectedParseDrops[(int)reason];
            caught += expected;
            if (reason == DropReason.Fragment)
            {
                // A corruption that yields a valid fragment is held for reassembly, not dropped at
                // once: it ends as one of the reassembly drops (several may share one datagram) or
                // is still waiting when the run ends.
                long settled = FragmentDrops.Sum(r => stack.Drops[r]) + stack.Reassembler.DatagramsInProgress;
                if (expected != 0 && (settled == 0 || settled > expected))
                    p.Add($"{name}: {expected} corrupted arrivals are fragments, the stack's reassembly accounts for {settled}");
                continue;
            }
            if (expected != 0 && stack.Drops[reason] != expected)
                p.Add($"{name}: {expected} corrupted arrivals fail parsing with {reason}, the stack counted {stack.Drops[reason]}");
        }
        if (tap.ParserMisses != 0)
            p.Add($"{name}: the parser accepted {tap.ParserMisses} corrupted packet(s) whose checksums do not verify");
        if (caught + tap.UndetectableCorruptions + tap.ParserMisses != tap.CorruptedArrivals)
            p.Add($"{name}: corrupted arrivals {tap.CorruptedArrivals} != caught {caught} + undetectable {tap.UndetectableCorruptions}");
    }

    // Deterministic per seed and 4-tuple; optionally a little below 2^32 so the sequence space wraps mid-transfer.
    private static uint Isn(int seed, ConnectionKey key, bool nearWrap)
    {
        ulong x = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)key.LocalPort << 16 | key.RemotePort) * 0xBF58476D1CE4E5B9UL);
        x ^= x >> 31;
        x = unchecked(x * 0x94D049BB133111EBUL);
        x ^= x >> 29;
        return nearWrap ? uint.MaxValue - (uint)(x % 300_000) : (uint)x;
    }

    /// <summary>One connection's two ends.</summary>
    internal sealed class Flow(ushort port, byte[] serverPayload, byte[] clientPayload)
    {
        public ushort Port { get; } = port;
        public Side Server { get; } = new(serverPayload);
        public Side Client { get; } = new(clientPayload);

        /// <summary>Nothing more can happen at the application level.</summary>
        public bool Settled => Client.Errors.Count > 0 && Client.Connection is null
            || Server.Settled && Client.Settled;

        public bool Ok => Server.Errors.Count == 0 && Client.Errors.Count == 0
            && Server.Received.Length == Client.Payload.Length && Client.Received.Length == Server.Payload.Length
            && Server.Connection?.State == TcpState.Closed && Client.Connection?.State == TcpState.Closed;

        public override string ToString() =>
            $"flow port {Port}: server sends {Server.Payload.Length} ({Server}), client sends {Client.Payload.Length} ({Client})";
    }

    /// <summary>What one end of a flow did.</summary>
    internal sealed class Side(byte[] payload)
    {
        public byte[] Payload { get; } = payload;
        public TcpConnection? Connection { get; set; }
        public MemoryStream Received { get; } = new();
        public bool ReceiveCompleted { get; set; }
        public bool SendDone { get; set; }
        public List<string> Errors { get; } = new();
        public List<TcpState> States { get; } = new();

        /// <summary>Closed, and the reader (which may start late) has had its last notification.</summary>
        public bool Settled => Connection?.State == TcpState.Closed && (ReceiveCompleted || Errors.Count > 0);

        public static string Sha(ReadOnlySpan<byte> bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));

        public override string ToString() =>
            $"{Connection?.Key.ToString() ?? "no connection"} got {Received.Length}, done={SendDone}/{ReceiveCompleted}, states {string.Join(">", States)}{(Errors.Count > 0 ? ", errors: " + string.Join("; ", Errors) : "")}";
    }
}
