using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Tcp;

/// <summary>The pure step's handling of ICMP fragmentation needed (<see cref="TcpEventKind.PathMtu"/>).</summary>
public class PathMtuStepTests
{
    private static readonly ConnectionKey Key = new(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);
    private const long Ms = TimeSpan.TicksPerMillisecond;

    private static TcpSegment Peer(TcpFlags flags, uint seq, uint ack = 0, ushort mss = 0)
    {
        var s = new TcpSegment { SourcePort = Key.RemotePort, DestinationPort = Key.LocalPort, Seq = new SeqNum(seq), Ack = new SeqNum(ack), Flags = flags, Window = 65535 };
        s.Options.Mss = mss;
        return s;
    }

    /// <summary>An established connection (peer MSS 1460, no timestamps) with 4000 bytes sent in 1460-byte segments.</summary>
    private static (Tcb Tcb, TcpEffects Fx) Sending()
    {
        var tcb = new Tcb(Key, TcpConfig.Default with { WindowScaling = false, NoDelay = true }, new SeqNum(1000), TcpState.Listen);
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 5000, mss: 1460)), 0, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1001)), Ms, fx);
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[4000]), 2 * Ms, fx);
        Assert.Equal(new[] { 1460, 1460, 1080 }, fx.Transmit.Select(s => s.Payload.Length));
        return (tcb, fx);
    }

    [Fact]
    public void Fragmentation_needed_lowers_the_mss_and_resends_the_flight_at_once_in_smaller_segments()
    {
        var (tcb, fx) = Sending();
        TcpStep.Handle(tcb, TcpEvent.PathMtu(1280, new SeqNum(1001)), 3 * Ms, fx);

        Assert.Equal(1240, tcb.EffectiveMss);
        Assert.False(fx.Dropped);
        Assert.Equal(1001u, fx.Transmit[0].Seq.Value);
        Assert.All(fx.Transmit, s => Assert.True(s.Payload.Length <= 1240));
        Assert.Equal(4000, fx.Transmit.Sum(s => s.Payload.Length));
        Assert.Equal(fx.Transmit.Count, fx.Retransmissions);
    }

    [Fact]
    public void A_quoted_sequence_number_outside_snd_una_to_snd_nxt_is_dropped()
    {
        var (tcb, fx) = Sending();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 2461)), 3 * Ms, fx); // first segment acknowledged

        TcpStep.Handle(tcb, TcpEvent.PathMtu(1280, new SeqNum(1001)), 4 * Ms, fx); // already acknowledged
        Assert.True(fx.Dropped);
        Assert.Empty(fx.Transmit);
        TcpStep.Handle(tcb, TcpEvent.PathMtu(1280, new SeqNum(5001)), 5 * Ms, fx); // never sent
        Assert.True(fx.Dropped);
        Assert.Equal(1460, tcb.EffectiveMss);

        TcpStep.Handle(tcb, TcpEvent.PathMtu(1280, new SeqNum(2461)), 6 * Ms, fx); // in flight
        Assert.False(fx.Dropped);
        Assert.Equal(1240, tcb.EffectiveMss);
    }

    [Fact]
    public void A_tiny_reported_mtu_is_floored_at_552()
    {
        var (tcb, fx) = Sending();
        TcpStep.Handle(tcb, TcpEvent.PathMtu(68, new SeqNum(1001)), 3 * Ms, fx);
        Assert.Equal(TcpStep.MinPathMtu - 40, tcb.EffectiveMss);
        TcpStep.Handle(tcb, TcpEvent.PathMtu(0, new SeqNum(1001)), 4 * Ms, fx);
        Assert.Equal(512, tcb.EffectiveMss);
    }

    [Fact]
    public void A_larger_mtu_never_raises_the_mss()
    {
        var (tcb, fx) = Sending();
        TcpStep.Handle(tcb, TcpEvent.PathMtu(1280, new SeqNum(1001)), 3 * Ms, fx);
        TcpStep.Handle(tcb, TcpEvent.PathMtu(1400, new SeqNum(1001)), 4 * Ms, fx);
        Assert.Equal(1240, tcb.EffectiveMss);
        Assert.Empty(fx.Transmit);
        TcpStep.Handle(tcb, TcpEvent.PathMtu(9000, new SeqNum(1001)), 5 * Ms, fx);
        Assert.Equal(1240, tcb.EffectiveMss);
    }

    [Fact]
    public void An_mtu_above_the_negotiated_mss_changes_nothing()
    {
        var (tcb, fx) = Sending();
        TcpStep.Handle(tcb, TcpEvent.PathMtu(1500, new SeqNum(1001)), 3 * Ms, fx);
        Assert.Equal(1460, tcb.EffectiveMss);
        Assert.Equal(int.MaxValue, tcb.PathMss);
        Assert.Empty(fx.Transmit);
    }

    [Fact]
    public void In_syn_sent_the_mss_is_lowered_for_later_but_nothing_is_resent()
    {
        var tcb = new Tcb(Key, TcpConfig.Default, new SeqNum(1000));
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.Of(TcpEventKind.Connect), 0, fx);
        Assert.Equal(TcpState.SynSent, tcb.State);
        TcpStep.Handle(tcb, TcpEvent.PathMtu(1280, new SeqNum(1000)), Ms, fx);
        Assert.Equal(1240, tcb.PathMss);
        Assert.Empty(fx.Transmit);
        Assert.Equal(TcpState.SynSent, tcb.State);
    }
}
