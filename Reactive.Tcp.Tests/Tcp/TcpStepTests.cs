using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Tcp;

/// <summary>The step as a plain function: values in, values out, no scheduler, no Rx.</summary>
public class TcpStepTests
{
    private static readonly ConnectionKey Key = new(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);
    private const long Ms = TimeSpan.TicksPerMillisecond;

    private static TcpSegment Peer(TcpFlags flags, uint seq, uint ack = 0, ushort window = 65535, byte[]? data = null, ushort mss = 0)
    {
        var s = new TcpSegment
        {
            SourcePort = Key.RemotePort, DestinationPort = Key.LocalPort, Seq = new SeqNum(seq), Ack = new SeqNum(ack),
            Flags = flags, Window = window, Payload = data ?? ReadOnlyMemory<byte>.Empty,
        };
        s.Options.Mss = mss;
        return s;
    }

    private static (Tcb Tcb, TcpEffects Fx) Established(TcpConfig? config = null)
    {
        var tcb = new Tcb(Key, config ?? TcpConfig.Default with { WindowScaling = false, DelayedAck = TimeSpan.Zero }, new SeqNum(1000), TcpState.Listen);
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 5000, mss: 1460)), 0, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1001)), 10 * Ms, fx);
        Assert.Equal(TcpState.Established, tcb.State);
        return (tcb, fx);
    }

    [Fact]
    public void Syn_to_listener_is_answered_with_syn_ack_carrying_our_isn_and_mss()
    {
        var tcb = new Tcb(Key, TcpConfig.Default with { Mtu = 1500 }, new SeqNum(1000), TcpState.Listen);
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 5000, mss: 1200)), 0, fx);

        var synAck = Assert.Single(fx.Transmit);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(1000u, synAck.Seq.Value);
        Assert.Equal(5001u, synAck.Ack.Value);
        Assert.Equal(1460, synAck.Options.Mss);
        Assert.Equal(TcpState.SynReceived, tcb.State);
        Assert.Equal(1200, tcb.EffectiveMss);
        Assert.Equal(TcpState.Listen, fx.PreviousState);
        Assert.NotEqual(long.MaxValue, tcb.TransmitCheckAt);
    }

    [Fact]
    public void Peer_without_mss_option_gets_536_byte_segments()
    {
        var tcb = new Tcb(Key, TcpConfig.Default with { WindowScaling = false, NoDelay = true }, new SeqNum(1000), TcpState.Listen);
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 5000)), 0, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1001)), Ms, fx);
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[2000]), 2 * Ms, fx);

        Assert.Equal(2000, fx.Accepted);
        Assert.Equal(new[] { 536, 536, 536, 392 }, fx.Transmit.Select(s => s.Payload.Length));
    }

    [Fact]
    public void Handshake_ack_measures_rtt_and_data_is_delivered_only_with_read_credit()
    {
        var (tcb, fx) = Established();
        Assert.Equal(10 * Ms, tcb.SmoothedRtt);

        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Psh, 5001, 1001, data: "hello"u8.ToArray())), 20 * Ms, fx);
        Assert.Empty(fx.Deliver);
        var ack = Assert.Single(fx.Transmit);
        Assert.Equal(5006u, ack.Ack.Value);
        Assert.Equal(5, tcb.ReceiveQueued);

        TcpStep.Handle(tcb, TcpEvent.Credit(long.MaxValue), 21 * Ms, fx);
        Assert.Equal("hello"u8.ToArray(), Assert.Single(fx.Deliver).ToArray());
    }

    [Fact]
    public void Out_of_order_data_is_held_then_delivered_in_order_when_the_gap_fills()
    {
        var (tcb, fx) = Established();
        TcpStep.Handle(tcb, TcpEvent.Credit(long.MaxValue), 11 * Ms, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5004, 1001, data: "def"u8.ToArray())), 12 * Ms, fx);
        Assert.Empty(fx.Deliver);
        Assert.Equal(5001u, Assert.Single(fx.Transmit).Ack.Value); // duplicate ACK shows the hole

        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1001, data: "abc"u8.ToArray())), 13 * Ms, fx);
        Assert.Equal("abcdef"u8.ToArray(), Assert.Single(fx.Deliver).ToArray());
        Assert.Equal(5007u, Assert.Single(fx.Transmit).Ack.Value);
    }

    [Fact]
    public void Data_beyond_the_advertised_window_is_trimmed_not_buffered()
    {
        var (tcb, fx) = Established(TcpConfig.Default with { WindowScaling = false, ReceiveBufferSize = 10, DelayedAck = TimeSpan.Zero });
        // The window we advertised in the SYN-ACK was 10 bytes; the peer sends 15.
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1001, data: new byte[15])), 20 * Ms, fx);
        Assert.Equal(10, tcb.ReceiveQueued);
        var ack = Assert.Single(fx.Transmit);
        Assert.Equal(5011u, ack.Ack.Value);
        Assert.Equal(0, ack.Window);
    }

    [Fact]
    public void Exact_rst_resets_in_window_rst_gets_challenge_ack_out_of_window_rst_is_ignored()
    {
        var (tcb, fx) = Established();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Rst, 900_000)), 20 * Ms, fx);
        Assert.Empty(fx.Transmit);
        Assert.Equal(TcpState.Established, tcb.State);

        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Rst, 5100)), 21 * Ms, fx);
        var challenge = Assert.Single(fx.Transmit);
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal(5001u, challenge.Ack.Value);
        Assert.Equal(TcpState.Established, tcb.State);

        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Rst, 5001)), 22 * Ms, fx);
        Assert.True(fx.Closed);
        Assert.Equal(TcpError.Reset, fx.Error);
        Assert.Equal(TcpState.Closed, tcb.State);
    }

    [Fact]
    public void Closed_port_answers_syn_with_rst_ack_and_ack_with_rst()
    {
        var tcb = new Tcb(Key, TcpConfig.Default, new SeqNum(1));
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 7000)), 0, fx);
        var rst = Assert.Single(fx.Transmit);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(0u, rst.Seq.Value);
        Assert.Equal(7001u, rst.Ack.Value);
        Assert.True(fx.Closed);

        tcb = new Tcb(Key, TcpConfig.Default, new SeqNum(1));
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 7000, 4242)), 0, fx);
        rst = Assert.Single(fx.Transmit);
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(4242u, rst.Seq.Value);
    }

    [Fact]
    public void Retransmission_backs_off_exponentially_then_times_out()
    {
        var config = TcpConfig.Default with { InitialRto = TimeSpan.FromSeconds(1), MaxSynRetransmissions = 3 };
        var tcb = new Tcb(Key, config, new SeqNum(1000));
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.Of(TcpEventKind.Connect), 0, fx);
        Assert.Equal(TcpFlags.Syn, Assert.Single(fx.Transmit).Flags);

        var fired = new List<long>();
        for (int i = 0; i < 10 && tcb.State != TcpState.Closed; i++)
        {
            long at = tcb.TransmitCheckAt;
            fired.Add(at / TimeSpan.TicksPerSecond);
            TcpStep.Handle(tcb, TcpEvent.Of(TcpEventKind.Timer), at, fx);
        }
        Assert.Equal(new long[] { 1, 3, 7, 15 }, fired);
        Assert.Equal(TcpError.TimedOut, fx.Error);
    }

    [Fact]
    public void Timer_before_its_deadline_does_nothing()
    {
        var tcb = new Tcb(Key, TcpConfig.Default, new SeqNum(1000));
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.Of(TcpEventKind.Connect), 0, fx);
        TcpStep.Handle(tcb, TcpEvent.Of(TcpEventKind.Timer), tcb.TransmitCheckAt - 1, fx);
        Assert.Empty(fx.Transmit);
        Assert.Equal(TcpState.SynSent, tcb.State);
    }

    [Fact]
    public void Three_duplicate_acks_trigger_fast_retransmit_of_the_oldest_segment()
    {
        var (tcb, fx) = Established();
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[1460 * 5]), 20 * Ms, fx);
        Assert.Equal(5, fx.Transmit.Count);
        // The first segment is lost; the peer acknowledges up to it three more times.
        for (int i = 0; i < 3; i++)
            TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1001)), (21 + i) * Ms, fx);
        var resent = Assert.Single(fx.Transmit);
        Assert.Equal(1001u, resent.Seq.Value);
        Assert.Equal(1460, resent.Payload.Length);
        Assert.Equal(1, fx.Retransmissions);
    }

    [Fact]
    public void Graceful_close_runs_fin_wait_1_fin_wait_2_time_wait_then_closes_after_2msl()
    {
        var (tcb, fx) = Established();
        TcpStep.Handle(tcb, TcpEvent.Of(TcpEventKind.Close), 20 * Ms, fx);
        var fin = Assert.Single(fx.Transmit);
        Assert.True(fin.Has(TcpFlags.Fin));
        Assert.Equal(TcpState.FinWait1, tcb.State);

        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 5001, 1002)), 21 * Ms, fx);
        Assert.Equal(TcpState.FinWait2, tcb.State);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Fin, 5001, 1002)), 22 * Ms, fx);
        Assert.Equal(TcpState.TimeWait, tcb.State);
        Assert.Equal(5002u, Assert.Single(fx.Transmit).Ack.Value);
        Assert.Equal(22 * Ms + TimeSpan.FromSeconds(240).Ticks, tcb.TimeWaitAt);

        TcpStep.Handle(tcb, TcpEvent.Of(TcpEventKind.Timer), tcb.TimeWaitAt, fx);
        Assert.True(fx.Closed);
        Assert.Equal(TcpError.None, fx.Error);
    }

    [Fact]
    public void Sequence_numbers_wrap_around_without_breaking_the_connection()
    {
        var tcb = new Tcb(Key, TcpConfig.Default with { WindowScaling = false, DelayedAck = TimeSpan.Zero }, new SeqNum(uint.MaxValue - 2), TcpState.Listen);
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, uint.MaxValue - 1, mss: 1460)), 0, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, uint.MaxValue, uint.MaxValue - 1)), Ms, fx);
        Assert.Equal(TcpState.Established, tcb.State);
        TcpStep.Handle(tcb, TcpEvent.Credit(long.MaxValue), Ms, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, uint.MaxValue, uint.MaxValue - 1, data: new byte[10])), 2 * Ms, fx);
        Assert.Equal(10, Assert.Single(fx.Deliver).Length);
        Assert.Equal(9u, Assert.Single(fx.Transmit).Ack.Value);
        TcpStep.Handle(tcb, TcpEvent.SendData(new byte[10]), 3 * Ms, fx);
        Assert.Equal(uint.MaxValue - 1, Assert.Single(fx.Transmit).Seq.Value);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, 9, 8)), 4 * Ms, fx);
        Assert.Equal(0, tcb.BytesInFlight);
    }

    [Fact]
    public void Syn_in_window_in_passive_syn_received_returns_to_listen_without_a_reply()
    {
        var tcb = new Tcb(Key, TcpConfig.Default, new SeqNum(1000), TcpState.Listen);
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 5000, mss: 1460)), 0, fx);
        Assert.Equal(TcpState.SynReceived, tcb.State);

        // The peer's SYN again (our SYN-ACK was lost) is answered with the SYN-ACK again.
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 5000, mss: 1460)), Ms, fx);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, Assert.Single(fx.Transmit).Flags);

        // A SYN at RCV.NXT (RFC 9293 §3.10.7.4, fourth): the half-open connection ends; the listener stays.
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn | TcpFlags.Ack, 5001, 1001, mss: 1460)), 2 * Ms, fx);
        Assert.Empty(fx.Transmit);
        Assert.True(fx.Closed);
        Assert.Equal(TcpError.None, fx.Error);
        Assert.Equal(TcpState.Closed, tcb.State);
    }

    [Fact]
    public void Syn_in_window_in_active_syn_received_gets_a_challenge_ack()
    {
        // Simultaneous open: our SYN crossed the peer's, so SYN-RECEIVED was not entered from LISTEN.
        var tcb = new Tcb(Key, TcpConfig.Default with { WindowScaling = false, Timestamps = false, Sack = false }, new SeqNum(1000));
        var fx = new TcpEffects();
        TcpStep.Handle(tcb, TcpEvent.Of(TcpEventKind.Connect), 0, fx);
        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 5000, mss: 1460)), Ms, fx);
        Assert.Equal(TcpState.SynReceived, tcb.State);

        TcpStep.Handle(tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, 5001, mss: 1460)), 2 * Ms, fx);
        var challenge = Assert.Single(fx.Transmit);
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal(5001u, challenge.Ack.Value);
        Assert.Equal(TcpState.SynReceived, tcb.State);
    }
}
