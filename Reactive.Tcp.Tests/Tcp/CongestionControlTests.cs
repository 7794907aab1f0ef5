using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Tcp;

public class CongestionControlTests
{
    private const int Mss = 1460;
    private static readonly long Rtt = TimeSpan.FromMilliseconds(100).Ticks;

    private static Tcb NewTcb(ICongestionControl cc)
    {
        var key = new ConnectionKey(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);
        var tcb = new Tcb(key, TcpConfig.Default with { DefaultPeerMss = Mss, CongestionControl = () => cc }, new SeqNum(1));
        tcb.Rtt.Sample(Rtt, tcb.Config);
        cc.Start(tcb, 0);
        return tcb;
    }

    /// <summary>Acknowledges one window's worth of segments per round trip for <paramref name="rounds"/> round trips.</summary>
    private static long Grow(Tcb tcb, ICongestionControl cc, long start, int rounds)
    {
        long now = start;
        for (int r = 0; r < rounds; r++)
        {
            long segments = tcb.Cwnd / Mss;
            for (long i = 0; i < segments; i++) cc.OnAck(tcb, Mss, now + Rtt * i / segments);
            now += Rtt;
        }
        return now;
    }

    [Fact]
    public void Cubic_cuts_to_beta_and_returns_to_the_old_maximum_after_K_seconds()
    {
        var cc = new Cubic();
        var tcb = NewTcb(cc);
        tcb.Cwnd = 100L * Mss;
        tcb.Ssthresh = 50L * Mss; // in congestion avoidance
        cc.OnCongestionEvent(tcb, 0);
        Assert.Equal(70L * Mss, tcb.Cwnd);
        Assert.Equal(tcb.Cwnd, tcb.Ssthresh);

        // K = cbrt(W_max (1 − β) / C) = cbrt(100 · 0.3 / 0.4) ≈ 4.2 s.
        long now = Grow(tcb, cc, 0, 10);
        long afterOneSecond = tcb.Cwnd;
        now = Grow(tcb, cc, now, 32);
        long atK = tcb.Cwnd;
        Grow(tcb, cc, now, 10);
        long afterK = tcb.Cwnd;

        Assert.InRange(atK / (double)Mss, 95, 106);
        // Concave before K (fast at first, flat near W_max), convex after it.
        Assert.True(afterOneSecond - 70L * Mss > (atK - afterOneSecond) / 4, $"{afterOneSecond / Mss} then {atK / Mss}");
        Assert.True(afterK > atK, $"{atK / Mss} then {afterK / Mss}");
    }

    [Fact]
    public void NewReno_halves_on_loss_and_adds_one_segment_per_round_trip()
    {
        var cc = new NewReno();
        var tcb = NewTcb(cc);
        tcb.Cwnd = 100L * Mss;
        tcb.Ssthresh = 50L * Mss;
        tcb.Send.Una = new SeqNum(1);
        tcb.Send.Max = tcb.Send.Nxt = tcb.Send.Una + 100 * Mss;
        cc.OnCongestionEvent(tcb, 0);
        Assert.Equal(50L * Mss, tcb.Cwnd);
        Grow(tcb, cc, 0, 10);
        Assert.InRange(tcb.Cwnd / (double)Mss, 59, 61);
    }

    [Fact]
    public void Timeout_collapses_the_window_to_one_segment_and_slow_start_doubles_it_per_round_trip()
    {
        var cc = new Cubic();
        var tcb = NewTcb(cc);
        tcb.Cwnd = 64L * Mss;
        cc.OnRetransmissionTimeout(tcb, 0);
        Assert.Equal(Mss, tcb.Cwnd);
        Grow(tcb, cc, 0, 3);
        Assert.Equal(8L * Mss, tcb.Cwnd);
    }

    [Fact]
    public void The_lasting_controller_is_made_on_first_use_after_the_handshake_and_keeps_the_window()
    {
        var key = new ConnectionKey(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);
        var started = new List<long>();
        var config = TcpConfig.Default with { DefaultPeerMss = Mss, CongestionControl = () => new RecordingStart(started) };
        var tcb = new Tcb(key, config, new SeqNum(1));

        tcb.StartCongestionControl(now: 7);
        Assert.Equal((long)config.InitialCongestionWindowSegments * Mss, tcb.Cwnd); // the window is set at once
        Assert.Equal(new long[] { 7 }, started);

        tcb.Cwnd = 3 * Mss; // what the step may do before the controller is first needed
        var congestion = tcb.Congestion;
        Assert.NotNull(congestion);
        Assert.Same(congestion, tcb.Congestion);
        Assert.Equal(new long[] { 7, 7 }, started); // started as of the handshake...
        Assert.Equal(3L * Mss, tcb.Cwnd);           // ...without resetting the window
    }

    private sealed class RecordingStart(List<long> started) : ICongestionControl
    {
        private readonly NewReno _inner = new();
        public string Name => "recording";
        public void Start(Tcb tcb, long now)
        {
            started.Add(now);
            _inner.Start(tcb, now);
        }
        public void OnAck(Tcb tcb, long ackedBytes, long now) => _inner.OnAck(tcb, ackedBytes, now);
        public void OnCongestionEvent(Tcb tcb, long now) => _inner.OnCongestionEvent(tcb, now);
        public void OnRetransmissionTimeout(Tcb tcb, long now) => _inner.OnRetransmissionTimeout(tcb, now);
    }

    [Fact]
    public void Default_is_cubic_and_minimart_has_none()
    {
        Assert.Equal("cubic", TcpConfig.Default.CongestionControl().Name);
        var key = new ConnectionKey(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);
        Assert.Null(new Tcb(key, TcpConfig.Minimart, new SeqNum(1)).Congestion);
    }
}
