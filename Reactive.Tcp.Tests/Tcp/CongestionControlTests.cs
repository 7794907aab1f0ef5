using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Tcp;

public class CongestionControlTests
{
    private const int Mss = 1460;
    private static readonly long Rtt = TimeSpan.FromMilliseconds(100).Ticks;
    private static readonly ConnectionKey Key = new(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);

    /// <summary>A block whose window is open at the initial window, as at establishment, seen as its controller sees it.</summary>
    private static ICongestionContext NewConnection(ICongestionControl cc)
    {
        var tcb = new Tcb(Key, TcpConfig.Default with { DefaultPeerMss = Mss, CongestionControl = () => cc }, new SeqNum(1));
        tcb.Rtt.Sample(Rtt, tcb.Config);
        tcb.Congestion.Activate((long)tcb.Config.InitialCongestionWindowSegments * Mss);
        cc.Start(tcb, 0);
        return tcb;
    }

    /// <summary>Acknowledges one window's worth of segments per round trip for <paramref name="rounds"/> round trips.</summary>
    private static long Grow(ICongestionContext connection, ICongestionControl cc, long start, int rounds)
    {
        long now = start;
        for (int r = 0; r < rounds; r++)
        {
            long segments = connection.Cwnd / Mss;
            for (long i = 0; i < segments; i++) cc.OnAck(connection, Mss, now + Rtt * i / segments);
            now += Rtt;
        }
        return now;
    }

    [Fact]
    public void Cubic_cuts_to_beta_and_returns_to_the_old_maximum_after_K_seconds()
    {
        var cc = new Cubic();
        var connection = NewConnection(cc);
        connection.Cwnd = 100L * Mss;
        connection.Ssthresh = 50L * Mss; // in congestion avoidance
        cc.OnCongestionEvent(connection, 0);
        Assert.Equal(70L * Mss, connection.Cwnd);
        Assert.Equal(connection.Cwnd, connection.Ssthresh);

        // K = cbrt(W_max (1 − β) / C) = cbrt(100 · 0.3 / 0.4) ≈ 4.2 s.
        long now = Grow(connection, cc, 0, 10);
        long afterOneSecond = connection.Cwnd;
        now = Grow(connection, cc, now, 32);
        long atK = connection.Cwnd;
        Grow(connection, cc, now, 10);
        long afterK = connection.Cwnd;

        Assert.InRange(atK / (double)Mss, 95, 106);
        // Concave before K (fast at first, flat near W_max), convex after it.
        Assert.True(afterOneSecond - 70L * Mss > (atK - afterOneSecond) / 4, $"{afterOneSecond / Mss} then {atK / Mss}");
        Assert.True(afterK > atK, $"{atK / Mss} then {afterK / Mss}");
    }

    [Fact]
    public void NewReno_halves_on_loss_and_adds_one_segment_per_round_trip()
    {
        var cc = new NewReno();
        var connection = NewConnection(cc);
        var tcb = (Tcb)connection;
        connection.Cwnd = 100L * Mss;
        connection.Ssthresh = 50L * Mss;
        tcb.Send.Una = new SeqNum(1);
        tcb.Send.Max = tcb.Send.Nxt = tcb.Send.Una + 100 * Mss;
        cc.OnCongestionEvent(connection, 0);
        Assert.Equal(50L * Mss, connection.Cwnd);
        Grow(connection, cc, 0, 10);
        Assert.InRange(connection.Cwnd / (double)Mss, 59, 61);
    }

    [Fact]
    public void Timeout_collapses_the_window_to_one_segment_and_slow_start_doubles_it_per_round_trip()
    {
        var cc = new Cubic();
        var connection = NewConnection(cc);
        connection.Cwnd = 64L * Mss;
        cc.OnRetransmissionTimeout(connection, 0);
        Assert.Equal(Mss, connection.Cwnd);
        Grow(connection, cc, 0, 3);
        Assert.Equal(8L * Mss, connection.Cwnd);
    }

    [Fact]
    public void A_controller_cannot_shrink_the_window_below_one_segment_or_the_threshold_below_two()
    {
        var connection = NewConnection(new NewReno());
        connection.Cwnd = 0;
        connection.Ssthresh = -5;
        Assert.Equal(Mss, connection.Cwnd);
        Assert.Equal(2L * Mss, connection.Ssthresh);
        connection.Cwnd = long.MaxValue; // would read as "congestion control off"
        Assert.True(connection.Cwnd < long.MaxValue);
    }

    private static TcpSegment Peer(TcpFlags flags, SeqNum seq, SeqNum ack, int payload = 0)
    {
        var s = new TcpSegment
        {
            SourcePort = Key.RemotePort, DestinationPort = Key.LocalPort, Seq = seq, Ack = ack,
            Flags = flags, Window = 65535, Payload = new byte[payload],
        };
        if ((flags & TcpFlags.Syn) != 0) s.Options.Mss = Mss;
        return s;
    }

    /// <summary>A passive open taken to ESTABLISHED by the pure step, without window scaling, SACK or timestamps.</summary>
    private static (Tcb Tcb, TcpEffects Fx) Established(TcpConfig config)
    {
        var tcb = new Tcb(Key, config with { WindowScaling = false, Sack = false, Timestamps = false }, new SeqNum(1000), TcpState.Listen);
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, new SeqNum(5000), default)), 0, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, new SeqNum(5001), new SeqNum(1001))), 10, fx);
        Assert.Equal(TcpState.Established, tcb.State);
        return (tcb, fx);
    }

    [Fact]
    public void The_window_opens_at_the_handshake_and_the_controller_is_made_when_the_first_data_goes_out()
    {
        var made = new List<RecordingController>();
        var config = TcpConfig.Default with { CongestionControl = () => { var c = new RecordingController(); made.Add(c); return c; } };
        var (tcb, fx) = Established(config);

        // Established and idle: the initial window is open, and no controller exists.
        Assert.Equal((long)config.InitialCongestionWindowSegments * Mss, tcb.Cwnd);
        Assert.Equal(long.MaxValue, tcb.Ssthresh);
        Assert.Null(tcb.Congestion.Controller);
        Assert.Empty(made);
        TcpStep.Handle(tcb, TcpEvent.Credit(1000), 20, fx);
        Assert.Empty(made);

        // Data to send: the controller is made and started once, seeing the initial window.
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[3 * Mss]), 30, fx);
        Assert.Equal(3, fx.Transmit.Count);
        var controller = Assert.Single(made);
        Assert.Same(controller, tcb.Congestion.Controller);
        Assert.Equal(new[] { ((long)config.InitialCongestionWindowSegments * Mss, 30L) }, controller.Starts);

        // Its callbacks follow, on the same instance; no second start.
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, new SeqNum(5001), new SeqNum(1001 + 3 * Mss))), 40, fx);
        Assert.Equal(new long[] { 3 * Mss }, controller.Acked);
        Assert.Single(made);
        Assert.Single(controller.Starts);
    }

    [Fact]
    public void A_controllers_initial_window_governs_the_first_flight()
    {
        var config = TcpConfig.Default with { CongestionControl = () => new FixedWindow(segments: 2) };
        var (tcb, fx) = Established(config);
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[10 * Mss]), 30, fx);
        Assert.Equal(2, fx.Transmit.Count);
        Assert.Equal(2L * Mss, tcb.BytesInFlight);
    }

    [Fact]
    public void Default_is_cubic_and_minimart_has_none()
    {
        Assert.Equal("cubic", TcpConfig.Default.CongestionControl().Name);
        var made = 0;
        var (tcb, fx) = Established(TcpConfig.Minimart with { CongestionControl = () => { made++; return new NewReno(); } });
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[3 * Mss]), 30, fx);
        Assert.NotEmpty(fx.Transmit);
        Assert.Equal(long.MaxValue, tcb.Cwnd);
        Assert.Null(tcb.Congestion.Controller);
        Assert.Equal(0, made);
    }

    /// <summary>Records what the step tells it, and grows as NewReno does.</summary>
    private sealed class RecordingController : ICongestionControl
    {
        private readonly NewReno _inner = new();
        public List<(long Cwnd, long Now)> Starts { get; } = [];
        public List<long> Acked { get; } = [];
        public string Name => "recording";
        public void Start(ICongestionContext connection, long now) => Starts.Add((connection.Cwnd, now));
        public void OnAck(ICongestionContext connection, long ackedBytes, long now)
        {
            Acked.Add(ackedBytes);
            _inner.OnAck(connection, ackedBytes, now);
        }
        public void OnCongestionEvent(ICongestionContext connection, long now) => _inner.OnCongestionEvent(connection, now);
        public void OnRetransmissionTimeout(ICongestionContext connection, long now) => _inner.OnRetransmissionTimeout(connection, now);
    }

    /// <summary>A window of a fixed number of segments, whatever happens.</summary>
    private sealed class FixedWindow(int segments) : ICongestionControl
    {
        public string Name => "fixed";
        public void Start(ICongestionContext connection, long now) => connection.Cwnd = (long)segments * connection.Mss;
        public void OnAck(ICongestionContext connection, long ackedBytes, long now) { }
        public void OnCongestionEvent(ICongestionContext connection, long now) { }
        public void OnRetransmissionTimeout(ICongestionContext connection, long now) { }
    }
}
