using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Benchmarks;

/// <summary>
/// Two <see cref="TcpStack"/>s over a perfect 1500-byte <see cref="VirtualWire"/> on one
/// <see cref="HistoricalScheduler"/> that the caller advances: a client connected to a listening
/// server whose reader takes everything. <see cref="Transfer"/> sends a block client → server and
/// runs the scheduler until every byte has been delivered to the server's reader.
/// </summary>
public sealed class PipelineRig : IDisposable
{
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");
    private static readonly TimeSpan OneTick = TimeSpan.FromTicks(1);

    private readonly CountingScheduler _clock = new();
    private readonly VirtualWire _wire;
    private readonly TcpStack _server;
    private readonly TcpStack _client;
    private readonly IDisposable _listener;
    private readonly IObserver<System.Reactive.Unit> _ignore = System.Reactive.Observer.Create<System.Reactive.Unit>(_ => { });
    private readonly byte[] _data;
    private TcpConnection? _serverConnection;
    private TcpConnection? _clientConnection;
    private long _received;

    public PipelineRig(int maxBlock)
    {
        _data = new byte[maxBlock];
        new Random(1).NextBytes(_data);
        _wire = new VirtualWire(_clock, new VirtualWireOptions { Mtu = 1500 });
        var tcp = TcpConfig.Default;
        _server = new TcpStack(_wire.EndA, new TcpStackOptions { Address = ServerAddress, Tcp = tcp, Seed = 1 }, _clock);
        _client = new TcpStack(_wire.EndB, new TcpStackOptions { Address = ClientAddress, Tcp = tcp, Seed = 2 }, _clock);
        _listener = _server.Listen(80).Subscribe(c =>
        {
            _serverConnection = c;
            c.Received.Subscribe(m => _received += m.Length);
        });
        _clock.AdvanceBy(OneTick);
        _client.Connect(ServerAddress, 80).Subscribe(c => _clientConnection = c);
        for (int i = 0; i < 1000 && (_serverConnection is null || _clientConnection is null); i++) _clock.AdvanceBy(TimeSpan.FromMilliseconds(1));
        if (_serverConnection is null || _clientConnection is null) throw new InvalidOperationException("The stacks did not connect.");
        _clock.AdvanceBy(TimeSpan.FromMilliseconds(1));
    }

    /// <summary>Work items scheduled so far (wire drains, application posts, timers).</summary>
    public long ScheduledItems => _clock.Scheduled;

    public TcpStack Server => _server;
    public TcpStack Client => _client;
    public VirtualWire Wire => _wire;
    public long Received => _received;

    /// <summary>Sends <paramref name="bytes"/> client → server and runs the scheduler until the server's reader has them all.</summary>
    public long Transfer(int bytes)
    {
        long target = _received + bytes;
        _clientConnection!.Send(_data.AsMemory(0, bytes)).Subscribe(_ignore);
        int turns = 0, idle = 0;
        while (_received < target)
        {
            long before = _received;

            // Tick by tick while data flows; a tail waiting for a delayed ACK gets a millisecond at a time.
            _clock.AdvanceBy(idle > 100 ? TimeSpan.FromMilliseconds(1) : OneTick);
            idle = _received == before ? idle + 1 : 0;
            if (++turns > 100_000) throw new InvalidOperationException($"Transfer stalled at {_received} of {target} bytes.");
        }
        return _received;
    }

    /// <summary>Packets each way and data segments for one transfer of <paramref name="bytes"/>, as a line of text.</summary>
    public string Describe(int bytes)
    {
        long aToB = _wire.AToBCounters.Delivered, bToA = _wire.BToACounters.Delivered, segIn = _server.Counters.SegmentsIn, items = ScheduledItems;
        Transfer(bytes);
        return $"one transfer of {bytes} B: client->server packets {_wire.BToACounters.Delivered - bToA}, " +
               $"server->client packets {_wire.AToBCounters.Delivered - aToB}, server segments in {_server.Counters.SegmentsIn - segIn}, scheduler items {ScheduledItems - items}";
    }

    public void Dispose()
    {
        _listener.Dispose();
        _server.Dispose();
        _client.Dispose();
        _wire.Dispose();
    }

    /// <summary>A <see cref="HistoricalScheduler"/> that counts what is scheduled on it.</summary>
    private sealed class CountingScheduler() : HistoricalScheduler(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
        public long Scheduled { get; private set; }

        public override IDisposable ScheduleAbsolute<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action)
        {
            Scheduled++;
            return base.ScheduleAbsolute(state, dueTime, action);
        }
    }
}
