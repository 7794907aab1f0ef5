using System.Diagnostics;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace RxTcp.Cli;

/// <summary>
/// RxTcp's side of <c>rxtcp bench</c>: two stacks joined by a perfect <see cref="VirtualWire"/>,
/// both stacks and the wire on one <see cref="EventLoopScheduler"/> thread in real time (as
/// <c>rxtcp demo</c> runs them). The application callbacks run on that thread too.
/// </summary>
internal static class BenchRxTcp
{
    private static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");
    private static readonly IObserver<Unit> Ignore = Observer.Create<Unit>(_ => { }, _ => { });
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>Bulk transfer client → server; bytes per second, after a warm-up transfer on the same connection.</summary>
    public static double Throughput(long bytes, long warmup, int mtu, int chunk, bool oneThread)
    {
        using var pair = new Pair(TcpConfig.Default with { Mtu = mtu }, oneThread);
        var data = new byte[chunk];
        new Random(1).NextBytes(data);
        // received, target and reached belong to the server's thread; the client's thread only sends.
        long received = 0, target = long.MaxValue;
        TaskCompletionSource? reached = null;
        TcpConnection? client = null;
        var connected = new TaskCompletionSource();
        pair.OnServerAndWait(() => pair.Server.Listen(5001).Take(1).Subscribe(c => c.Received.Subscribe(m =>
        {
            received += m.Length;
            if (received >= target) reached?.TrySetResult();
        })));
        pair.OnClient(() => pair.Client.Connect(ServerAddress, 5001).Subscribe(c => { client = c; connected.TrySetResult(); }, e => connected.TrySetException(e)));
        Wait(connected.Task);

        TimeSpan Transfer(long count)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            pair.OnServerAndWait(() =>
            {
                target = received + count;
                reached = done;
            });
            var wall = Stopwatch.StartNew();
            pair.OnClient(() =>
            {
                long queued = 0;
                void Next()
                {
                    if (queued >= count) return;
                    int n = (int)Math.Min(chunk, count - queued);
                    queued += n;
                    client!.Send(data.AsMemory(0, n)).Subscribe(_ => { }, e => done.TrySetException(e), Next);
                }
                Next();
            });
            Wait(done.Task);
            wall.Stop();
            return wall.Elapsed;
        }

        Transfer(warmup);
        var elapsed = Transfer(bytes);
        return bytes / elapsed.TotalSeconds;
    }

    /// <summary>1-byte ping-pong; round-trip times in microseconds, warm-up rounds excluded.</summary>
    public static double[] PingPong(int rounds, int warmup, bool oneThread)
    {
        using var pair = new Pair(TcpConfig.Default, oneThread);
        var rtts = new double[rounds];
        var one = new byte[] { 42 };
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.OnServerAndWait(() => pair.Server.Listen(5002).Take(1).Subscribe(s => s.Received.Subscribe(_ => s.Send(one).Subscribe(Ignore))));
        pair.OnClient(() => pair.Client.Connect(ServerAddress, 5002).Subscribe(c =>
        {
            int round = -warmup;
            long start = Stopwatch.GetTimestamp();
            c.Received.Subscribe(_ =>
            {
                long now = Stopwatch.GetTimestamp();
                if (round >= 0) rtts[round] = Stopwatch.GetElapsedTime(start, now).TotalMicroseconds;
                if (++round == rounds)
                {
                    done.TrySetResult();
                    return;
                }
                start = Stopwatch.GetTimestamp();
                c.Send(one).Subscribe(Ignore);
            }, e => done.TrySetException(e));
            c.Send(one).Subscribe(Ignore);
        }, e => done.TrySetException(e)));
        Wait(done.Task);
        return rtts;
    }

    /// <summary>
    /// Connections one after another: connect, 1-byte request, 1-byte response, the client closes,
    /// the server closes on the client's FIN, the next connection starts when the server's FIN
    /// arrives. Connections per second over <paramref name="duration"/>, after a warm-up.
    /// </summary>
    /// <returns>Connections per second, and this process's CPU time (all threads) per connection over the measured part, in microseconds.</returns>
    public static (double PerSecond, double CpuMicrosecondsPerConnection) Connections(TimeSpan duration, TimeSpan warmup, TcpConfig config, bool oneThread)
    {
        // The client closes first, so TIME-WAIT holds its port (the port allocator keeps it until
        // then) rather than a server-side tuple that a new SYN from a reused port would run into.
        // A short MSL keeps 2 MSL of TIME-WAIT from using up the 16,384 ephemeral ports; the
        // kernel recycles its loopback TIME-WAIT tuples (tcp_tw_reuse with timestamps).
        using var pair = new Pair(config with { Msl = TimeSpan.FromMilliseconds(50) }, oneThread);
        var one = new byte[] { 1 };
        long completed = 0;
        long measuredFrom = -1;
        double cpuFrom = 0, cpuTo = 0;
        var wall = new Stopwatch();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.OnServerAndWait(() => pair.Server.Listen(5003).Subscribe(s => s.Received.Subscribe(
            _ => s.Send(one).Subscribe(Ignore),
            _ => { },
            s.Close)));
        pair.OnClient(() =>
        {
            wall.Start();
            void Next()
            {
                var elapsed = wall.Elapsed;
                if (measuredFrom < 0 && elapsed >= warmup)
                {
                    measuredFrom = completed;
                    cpuFrom = ProcessCpuSeconds();
                }
                if (elapsed >= warmup + duration)
                {
                    cpuTo = ProcessCpuSeconds();
                    done.TrySetResult();
                    return;
                }
                pair.Client.Connect(ServerAddress, 5003).Subscribe(c =>
                {
                    c.Received.Subscribe(_ => c.Close(), e => done.TrySetException(e), () =>
                    {
                        completed++;
                        Next();
                    });
                    c.Send(one).Subscribe(Ignore);
                }, e => done.TrySetException(e));
            }
            Next();
        });
        Wait(done.Task, warmup + duration + Patience);
        long measured = completed - Math.Max(0, measuredFrom);
        return (measured / duration.TotalSeconds, (cpuTo - cpuFrom) * 1e6 / Math.Max(1, measured));
    }

    /// <summary>User + system CPU seconds of this process so far, all threads.</summary>
    internal static double ProcessCpuSeconds()
    {
        var (user, system) = ThreadCpu.OfProcess(Environment.ProcessId);
        return user + system;
    }

    /// <summary>
    /// Opens <paramref name="count"/> idle established connections (both ends in this process) and
    /// measures process memory per connection: (GC heap delta, working-set delta) in bytes.
    /// </summary>
    public static (double GcBytes, double WorkingSetBytes) IdleConnections(int count, TcpConfig config)
    {
        // One client stack has 16,384 ephemeral ports (49152–65535); more connections take more pairs.
        const int PerPair = 16_000;
        WarmUp(config);
        var before = BenchMemory.Snapshot();
        var pairs = new List<Pair>();
        var connections = new List<TcpConnection>(count * 2);
        try
        {
            for (int opened = 0; opened < count; opened += PerPair)
            {
                var pair = new Pair(config, oneThread: true);
                pairs.Add(pair);
                Open(pair, Math.Min(PerPair, count - opened), connections);
            }
            var after = BenchMemory.Snapshot();
            GC.KeepAlive(connections);
            return ((after.GcHeap - before.GcHeap) / (double)count, (after.WorkingSet - before.WorkingSet) / (double)count);
        }
        finally
        {
            foreach (var pair in pairs) pair.Dispose();
        }
    }

    /// <summary>
    /// Opens and closes a few connections first, so that what the process pays once (JIT-compiled
    /// code, loaded types, the runtime's own tables, about 26 MB) is not divided among the measured
    /// connections: without it the figure per connection fell as the count grew (5.3 KB of working
    /// set at 10,000 connections, 3.4 KB at 40,000, with the same GC heap per connection).
    /// </summary>
    private static void WarmUp(TcpConfig config)
    {
        var warm = new List<TcpConnection>();
        using var pair = new Pair(config);
        Open(pair, 256, warm);
    }

    private static void Open(Pair pair, int count, List<TcpConnection> connections)
    {
        // A window of handshakes in flight at once, so the run is not one round trip per connection.
        const int Window = 256;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0, established = 0, accepted = 0;
        pair.OnServer(() =>
        {
            pair.Server.Listen(5004).Subscribe(s =>
            {
                connections.Add(s);
                if (++accepted == count && established == count) done.TrySetResult();
            });
            void Start()
            {
                while (started < count && started - established < Window)
                {
                    started++;
                    pair.Client.Connect(ServerAddress, 5004).Subscribe(c =>
                    {
                        connections.Add(c);
                        if (++established == count && accepted == count) done.TrySetResult();
                        Start();
                    }, e => done.TrySetException(e));
                }
            }
            Start();
        });
        Wait(done.Task);
    }

    private static void Wait(Task task, TimeSpan? limit = null)
    {
        if (!task.Wait(limit ?? Patience)) throw new TimeoutException("The RxTcp side of the benchmark did not finish in time.");
    }

    /// <summary>
    /// Server and client stacks over a perfect wire: each stack (with its application callbacks)
    /// on its own event-loop thread, the wire delivering across them, as the kernel side runs one
    /// thread per end; or, with <c>oneThread</c>, both stacks and the wire on a single thread.
    /// </summary>
    private sealed class Pair : IDisposable
    {
        private readonly EventLoopScheduler _serverLoop;
        private readonly EventLoopScheduler _clientLoop;
        private readonly VirtualWire _wire;

        public Pair(TcpConfig config, bool oneThread = false)
        {
            _serverLoop = new(start => new Thread(start) { Name = "rxtcp-server", IsBackground = true });
            _clientLoop = oneThread ? _serverLoop : new(start => new Thread(start) { Name = "rxtcp-client", IsBackground = true });
            _wire = new VirtualWire(_serverLoop, _clientLoop, new VirtualWireOptions { Mtu = config.Mtu });
            // Connections in TIME-WAIT count against StackLimits.MaxConnections (4,096 by default):
            // at 20,000+ connections a second, 2 MSL of them (plus a late timer on a busy machine)
            // reach it, where the kernel side has no such cap.
            var limits = StackLimits.Default with { MaxConnections = 65_536 };
            Server = new TcpStack(_wire.EndA, new TcpStackOptions { Address = ServerAddress, Tcp = config, Seed = 1, Limits = limits }, _serverLoop);
            Client = new TcpStack(_wire.EndB, new TcpStackOptions { Address = ClientAddress, Tcp = config, Seed = 2, Limits = limits }, _clientLoop);
        }

        public TcpStack Server { get; }

        public TcpStack Client { get; }

        /// <summary>Runs <paramref name="action"/> on the server stack's thread.</summary>
        public void OnServer(Action action) => _serverLoop.Schedule(action);

        /// <summary>Runs <paramref name="action"/> on the client stack's thread.</summary>
        public void OnClient(Action action) => _clientLoop.Schedule(action);

        /// <summary>Runs <paramref name="action"/> on the server stack's thread and waits for it.</summary>
        public void OnServerAndWait(Action action)
        {
            using var ran = new ManualResetEventSlim();
            _serverLoop.Schedule(() =>
            {
                action();
                ran.Set();
            });
            ran.Wait();
        }

        public void Dispose()
        {
            using var serverStopped = new ManualResetEventSlim();
            using var clientStopped = new ManualResetEventSlim();
            _clientLoop.Schedule(() =>
            {
                Client.Dispose();
                clientStopped.Set();
            });
            clientStopped.Wait(TimeSpan.FromSeconds(10));
            _serverLoop.Schedule(() =>
            {
                Server.Dispose();
                _wire.Dispose();
                serverStopped.Set();
            });
            serverStopped.Wait(TimeSpan.FromSeconds(10));
            _serverLoop.Dispose();
            if (!ReferenceEquals(_clientLoop, _serverLoop)) _clientLoop.Dispose();
        }
    }
}
