using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Tcp;

/// <summary>
/// ECN (RFC 3168) in the pure step, where the congestion window can be read: the wire behaviour
/// itself is specified by <c>marbles/ecn/</c>.
/// </summary>
public class EcnStepTests
{
    private static readonly ConnectionKey Key = new(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private const int PeerMss = 1000;

    private static TcpSegment Peer(TcpFlags flags, uint seq, uint ack = 0, byte[]? data = null, IpEcn ecn = IpEcn.NotEct)
    {
        var s = new TcpSegment
        {
            SourcePort = Key.RemotePort, DestinationPort = Key.LocalPort, Seq = new SeqNum(seq), Ack = new SeqNum(ack),
            Flags = flags, Window = 65535, Payload = data ?? ReadOnlyMemory<byte>.Empty, Ecn = ecn,
        };
        if ((flags & TcpFlags.Syn) != 0) s.Options.Mss = PeerMss;
        return s;
    }

    /// <summary>A passive open whose SYN asked for ECN (or not), with congestion control <paramref name="congestion"/>.</summary>
    private static (Tcb Tcb, TcpEffects Fx) Established(Func<ICongestionControl> congestion, bool peerAsks = true, EcnMode mode = EcnMode.Accept)
    {
        var config = TcpConfig.Default with { WindowScaling = false, Sack = false, Timestamps = false, CongestionControl = congestion, Ecn = mode };
        var tcb = new Tcb(Key, config, new SeqNum(1000), TcpState.Listen);
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(peerAsks ? TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr : TcpFlags.Syn, 5000)), 0, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1001)), 10 * Ms, fx);
        Assert.Equal(TcpState.Established, tcb.State);
        return (tcb, fx);
    }

    public static TheoryData<string> Controllers => new("newreno", "cubic");

    private static Func<ICongestionControl> Controller(string name) => name == "newreno" ? () => new NewReno() : () => new Cubic();

    [Theory]
    [MemberData(nameof(Controllers))]
    public void Ece_reduces_the_window_once_per_window_and_resends_nothing(string controller)
    {
        var (tcb, fx) = Established(Controller(controller));
        Assert.True(tcb.EcnEnabled);
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[20 * PeerMss]), 11 * Ms, fx);
        Assert.Equal(10, fx.Transmit.Count); // the initial window
        Assert.All(fx.Transmit, s => Assert.Equal(IpEcn.Ect0, s.Ecn));
        long cwndBefore = tcb.Cwnd;

        // ECE on an ACK for the first two segments: a reduction, but no retransmission.
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Ece, 5001, 3001)), 20 * Ms, fx);
        Assert.Equal(0, fx.Retransmissions);
        Assert.Equal(1, tcb.EcnReductions);
        Assert.True(tcb.Cwnd < cwndBefore, $"cwnd {tcb.Cwnd} not below {cwndBefore}");
        Assert.Equal(tcb.Ssthresh, tcb.Cwnd);
        long reduced = tcb.Cwnd;

        // More ECE for the same window of data: the same congestion, no second reduction.
        var sent = new List<TcpSegment>(fx.Transmit);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Ece, 5001, 6001)), 21 * Ms, fx);
        sent.AddRange(fx.Transmit);
        Assert.Equal(0, fx.Retransmissions);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Ece, 5001, 11001)), 22 * Ms, fx);
        sent.AddRange(fx.Transmit);
        Assert.Equal(0, fx.Retransmissions);
        Assert.Equal(1, tcb.EcnReductions);
        Assert.True(tcb.Cwnd >= reduced, $"cwnd {tcb.Cwnd} fell below the once-reduced {reduced}");

        // The first new data segment after the reduction carries CWR; later ones do not.
        Assert.NotEmpty(sent);
        Assert.True(sent[0].Has(TcpFlags.Cwr), $"first new segment {sent[0]} lacks CWR");
        Assert.All(sent.Skip(1), s => Assert.False(s.Has(TcpFlags.Cwr), $"{s} repeats CWR"));
        Assert.All(sent, s => Assert.Equal(IpEcn.Ect0, s.Ecn));

        // ECE that acknowledges data sent after the reduction is new congestion: reduce again.
        var highest = tcb.SndMax;
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Ece, 5001, highest.Value)), 30 * Ms, fx);
        Assert.Equal(2, tcb.EcnReductions);
    }

    [Fact]
    public void Ece_on_a_connection_without_ecn_is_ignored()
    {
        var (tcb, fx) = Established(() => new NewReno(), peerAsks: false);
        Assert.False(tcb.EcnEnabled);
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[4 * PeerMss]), 11 * Ms, fx);
        Assert.All(fx.Transmit, s => Assert.Equal(IpEcn.NotEct, s.Ecn));
        long cwnd = tcb.Cwnd;
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Ece, 5001, 2001)), 20 * Ms, fx);
        Assert.Equal(0, tcb.EcnReductions);
        Assert.True(tcb.Cwnd > cwnd); // slow start went on
    }

    [Fact]
    public void Ecn_off_refuses_an_ecn_setup_syn()
    {
        var (tcb, _) = Established(() => new NewReno(), peerAsks: true, mode: EcnMode.Off);
        Assert.False(tcb.EcnEnabled);
    }

    [Fact]
    public void Ce_marked_pure_ack_starts_the_echo_without_an_ack_of_its_own()
    {
        var (tcb, fx) = Established(() => new NewReno());
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1001, ecn: IpEcn.Ce)), 11 * Ms, fx);
        Assert.Empty(fx.Transmit); // an ACK is never answered with an ACK
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[10]), 12 * Ms, fx);
        var data = Assert.Single(fx.Transmit);
        Assert.True(data.Has(TcpFlags.Ece), $"{data} does not echo the mark");
    }
}
