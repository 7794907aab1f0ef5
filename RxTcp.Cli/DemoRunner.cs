using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Cli;

/// <summary>
/// Runs the demo: two <see cref="TcpStack"/>s joined by a <see cref="VirtualWire"/>, a listener on
/// the server, a client connecting to it, a transfer each way at the same time, then a graceful close
/// from both sides. Everything the stacks do runs on one scheduler: an <see cref="EventLoopScheduler"/>
/// (real clock) or a <see cref="HistoricalScheduler"/> that this class advances (virtual clock).
/// </summary>
public sealed class DemoRunner
{
    /// <summary>The listening stack's address.</summary>
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");

    /// <summary>The connecting stack's address.</summary>
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");

    /// <summary>The port the server listens on.</summary>
    public const ushort ServerPort = 80;

    // How far the virtual clock moves per turn of the driving loop, and how far it may go at most.
    private static readonly TimeSpan VirtualStep = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan VirtualLimit = TimeSpan.FromDays(1);

    private readonly DemoSettings _settings;
    private readonly TextWriter _progressWriter;

    /// <summary>Prepares a run; <paramref name="progressWriter"/> receives the progress bar (normally stderr).</summary>
    public DemoRunner(DemoSettings settings, TextWriter progressWriter)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _progressWriter = progressWriter ?? throw new ArgumentNullException(nameof(progressWriter));
    }

    /// <summary>Whether to draw the progress bar (set by the command from <c>--quiet</c> and whether stderr is a terminal).</summary>
    public bool ShowProgress { get; init; }

    /// <summary>Runs the transfer to the end (or the time limit) and reports what happened.</summary>
    public DemoResult Run() => _settings.Clock == DemoClock.Virtual ? RunVirtual() : RunReal();

    private DemoResult RunReal()
    {
        using var loop = new EventLoopScheduler(start => new Thread(start) { Name = "rxtcp-stacks", IsBackground = true });
        using var finished = new ManualResetEventSlim();
        var session = new Session(_settings, loop, finished.Set);
        var progress = NewProgressBar(session);

        loop.Schedule(session.Start);
        var limit = _settings.EffectiveTimeout;
        bool timedOut = false;
        while (!finished.Wait(TimeSpan.FromMilliseconds(100)))
        {
            progress?.Update();
            if (session.Wall.Elapsed > limit)
            {
                timedOut = true;
                break;
            }
        }
        progress?.Update(force: true);
        progress?.Clear();

        // Stop the stacks on their own thread, then read the results there too (no torn reads).
        DemoResult? result = null;
        using var stopped = new ManualResetEventSlim();
        loop.Schedule(() =>
        {
            result = session.Finish(timedOut, limit);
            stopped.Set();
        });
        if (!stopped.Wait(TimeSpan.FromSeconds(10)))
            throw new InvalidOperationException("The stacks' event loop did not stop within 10 s.");
        return result!;
    }

    private DemoResult RunVirtual()
    {
        var clock = new HistoricalScheduler(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        bool done = false;
        var session = new Session(_settings, clock, () => done = true);
        var progress = NewProgressBar(session);
        session.OnProgress = progress is null ? null : () => progress.Update();

        clock.Schedule(session.Start);
        var limit = _settings.EffectiveTimeout;
        bool timedOut = false;
        while (!done)
        {
            clock.AdvanceBy(VirtualStep);
            progress?.Update();
            if (session.Wall.Elapsed > limit || session.ClockElapsed > VirtualLimit)
            {
                timedOut = true;
                break;
            }
        }
        progress?.Update(force: true);
        progress?.Clear();
        return session.Finish(timedOut, session.Wall.Elapsed > limit ? limit : VirtualLimit);
    }

    private ProgressBar? NewProgressBar(Session session) => ShowProgress
        ? new ProgressBar(
            _progressWriter,
            totalPerDirection: _settings.Bytes,
            read: () => (session.Server.BytesReceived, session.Client.BytesReceived),
            elapsed: () => session.Wall.Elapsed,
            simulated: _settings.Clock == DemoClock.Virtual ? () => session.ClockElapsed : null)
        : null;

    /// <summary>One run's stacks, wire and sides; every member but the counters is used on the scheduler only.</summary>
    private sealed class Session
    {
        private readonly DemoSettings _settings;
        private readonly IScheduler _scheduler;
        private readonly Action _finished;
        private readonly VirtualWire _wire;
        private readonly TcpStack _serverStack;
        private readonly TcpStack _clientStack;
        private readonly DateTimeOffset _clockStart;
        private IDisposable? _listener;
        private bool _connectFailed;
        private bool _signalled;
        private TimeSpan _endWall;
        private TimeSpan _endClock;

        public Session(DemoSettings settings, IScheduler scheduler, Action finished)
        {
            _settings = settings;
            _scheduler = scheduler;
            _finished = finished;
            _clockStart = scheduler.Now;

            var impairments = new Impairments
            {
                Loss = settings.LossPercent / 100.0,
                CongestionMark = settings.CongestionPercent / 100.0,
                Delay = settings.Delay,
                Seed = settings.Seed,
            };
            _wire = new VirtualWire(scheduler, VirtualWireOptions.Symmetric(impairments, settings.Mtu));

            var tcp = TcpConfig.Default with
            {
                Mtu = settings.Mtu,
                Msl = settings.Msl,
                Ecn = settings.Ecn ? EcnMode.On : TcpConfig.Default.Ecn,
                // On the virtual clock, seeded ISNs make the run repeatable bit for bit.
                IsnGenerator = settings.Clock == DemoClock.Virtual ? SeededIsn(settings.Seed) : null,
            };
            _serverStack = new TcpStack(_wire.EndA, new TcpStackOptions { Address = ServerAddress, Tcp = tcp, Seed = settings.Seed }, scheduler);
            _clientStack = new TcpStack(_wire.EndB, new TcpStackOptions { Address = ClientAddress, Tcp = tcp, Seed = unchecked(settings.Seed + 1) }, scheduler);

            Server = new DemoSide("server", settings.Bytes, unchecked((ulong)settings.Seed * 2 + 1));
            Client = new DemoSide("client", settings.Bytes, unchecked((ulong)settings.Seed * 2 + 2));
            Wall = new Stopwatch();
        }

        public DemoSide Server { get; }
        public DemoSide Client { get; }
        public Stopwatch Wall { get; }
        public Action? OnProgress { get; set; }
        public TimeSpan ClockElapsed => _scheduler.Now - _clockStart;

        /// <summary>Listen, then connect; each side starts sending as soon as it has its connection.</summary>
        public void Start()
        {
            Wall.Start();
            _listener = _serverStack.Listen(ServerPort)
                .Take(1)
                .Subscribe(c => Drive(Server, c), e => { Server.Fail(e); _connectFailed = true; Check(); });
            _clientStack.Connect(ServerAddress, ServerPort)
                .Subscribe(c => Drive(Client, c), e => { Client.Fail(e); _connectFailed = true; Check(); });
        }

        /// <summary>Stops the stacks and the wire and summarises the run.</summary>
        public DemoResult Finish(bool timedOut, TimeSpan limit)
        {
            var wall = _signalled ? _endWall : Wall.Elapsed;
            var clock = _signalled ? _endClock : ClockElapsed;
            _listener?.Dispose();
            Server.FinishHashes();
            Client.FinishHashes();
            var result = new DemoResult
            {
                Settings = _settings,
                TimedOut = timedOut,
                Limit = limit,
                Wall = wall,
                Clock = _settings.Clock == DemoClock.Virtual ? clock : null,
                Server = DemoResult.Endpoint.From(Server, _serverStack, _wire.AToBCounters),
                Client = DemoResult.Endpoint.From(Client, _clientStack, _wire.BToACounters),
            };
            _serverStack.Dispose();
            _clientStack.Dispose();
            _wire.Dispose();
            Server.Dispose();
            Client.Dispose();
            return result;
        }

        private void Drive(DemoSide side, Reactive.Tcp.Api.TcpConnection connection)
        {
            side.Connection = connection;
            connection.States.Subscribe(
                _ => { },
                _ => { side.OnTerminated(); Check(); },
                () => { side.OnTerminated(); Check(); });

            connection.Received.Subscribe(
                data =>
                {
                    side.OnReceived(data.Span);
                    OnProgress?.Invoke();
                },
                error => { side.Fail(error); Check(); },
                () => { side.OnReceiveCompleted(Wall.Elapsed, ClockElapsed); Check(); });

            // Back-pressure: each chunk is generated and queued only once the previous one is in the send buffer.
            Observable.Range(0, side.ChunkCount)
                .Select(_ => Observable.Defer(() => connection.Send(side.NextChunk())))
                .Concat()
                .Subscribe(
                    _ => { },
                    error => { side.Fail(error); connection.Abort(); Check(); },
                    () => { side.SendCompleted = true; connection.Close(); });
        }

        private void Check()
        {
            if (_signalled) return;
            // Normally both connections must reach CLOSED; after a failed connect, those that exist.
            bool over = _connectFailed
                ? (Server.Connection is null || Server.Terminated) && (Client.Connection is null || Client.Terminated)
                : Server.Terminated && Client.Terminated;
            if (!over) return;
            _signalled = true;
            _endWall = Wall.Elapsed;
            _endClock = ClockElapsed;
            _finished();
        }

        private static Func<ConnectionKey, long, uint> SeededIsn(int seed) => (key, _) =>
        {
            ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL
                ^ ((ulong)key.LocalAddress.Value << 32 | key.RemoteAddress.Value)
                ^ ((ulong)key.LocalPort << 16 | key.RemotePort) * 0xBF58476D1CE4E5B9UL);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (uint)(z ^ (z >> 31));
        };
    }
}
