using BenchmarkDotNet.Attributes;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Benchmarks;

/// <summary>
/// The pure step on an ESTABLISHED block, in steady state, through the public API only. One
/// operation is two <see cref="TcpStep.Handle"/> calls:
/// receive = an in-order 1460-byte segment, then 1460 bytes of read credit (which delivers it);
/// send = an ACK for 1460 more bytes (freeing send-buffer space and letting one new 1460-byte
/// segment out under a full 64 KiB peer window), then the application's next 1460 bytes.
/// The baseline is the step's fixed cost: a read-credit event of 0 bytes.
/// </summary>
[Config(typeof(BenchConfig))]
public class TcpStepBenchmarks
{
    private const int Mss = 1460;
    private const long Tick = TimeSpan.TicksPerMillisecond / 10;
    private static readonly ConnectionKey Key = new(IPv4Address.Parse("192.0.2.1"), 80, IPv4Address.Parse("192.0.2.2"), 40000);

    private Tcb _tcb = null!;
    private readonly TcpEffects _fx = new();
    private readonly byte[] _payload = new byte[Mss];
    private long _now;

    private static TcpSegment Peer(TcpFlags flags, SeqNum seq, SeqNum ack, ReadOnlyMemory<byte> payload = default, ushort mss = 0) => new()
    {
        SourcePort = Key.RemotePort,
        DestinationPort = Key.LocalPort,
        Seq = seq,
        Ack = ack,
        Flags = flags,
        Window = 65535,
        Payload = payload,
        Options = new TcpOptions { Mss = mss },
    };

    /// <summary>A passive open completed by hand: SYN in, SYN-ACK out, ACK in.</summary>
    private void Establish()
    {
        _tcb = new Tcb(Key, TcpConfig.Default with { WindowScaling = false }, new SeqNum(1000), TcpState.Listen);
        _now = 0;
        TcpStep.Handle(_tcb, TcpEvent.FromSegment(Peer(TcpFlags.Syn, new SeqNum(5000), default, mss: Mss)), _now, _fx);
        _now += Tick;
        TcpStep.Handle(_tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, new SeqNum(5001), new SeqNum(1001))), _now, _fx);
        if (_tcb.State != TcpState.Established) throw new InvalidOperationException($"Handshake ended in {_tcb.State}.");
    }

    [GlobalSetup(Targets = [nameof(FixedCost), nameof(Receive)])]
    public void SetupReceive()
    {
        Establish();
        for (int i = 0; i < 10_000; i++) Receive();
        TcpStep.Handle(_tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Psh, _tcb.RcvNxt, _tcb.SndNxt, _payload)), _now, _fx);
        if (_fx.Transmit.Count != 1 || _fx.Deliver.Count != 0) throw new InvalidOperationException("The data segment should be acknowledged and held.");
        TcpStep.Handle(_tcb, TcpEvent.Credit(Mss), _now, _fx);
        if (_fx.Deliver.Count != 1 || _fx.Deliver[0].Length != Mss || _tcb.ReceiveQueued != 0)
            throw new InvalidOperationException("The credit should deliver the segment.");
    }

    [GlobalSetup(Target = nameof(Send))]
    public void SetupSend()
    {
        Establish();
        TcpStep.Handle(_tcb, TcpEvent.SendData(new byte[_tcb.Config.SendBufferSize]), _now, _fx);
        // Let congestion control open past the peer's window so the window is the only limit.
        for (int i = 0; i < 10_000; i++) Send();
        var before = _tcb.BytesInFlight;
        TcpStep.Handle(_tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, _tcb.RcvNxt, _tcb.SndUna + Mss)), _now, _fx);
        if (_fx.Transmit.Count != 1 || _fx.Transmit[0].Payload.Length != Mss || _tcb.BytesInFlight != before)
            throw new InvalidOperationException($"The ACK should release one segment: sent {_fx.Transmit.Count}, in flight {before} -> {_tcb.BytesInFlight}.");
        TcpStep.Handle(_tcb, TcpEvent.SendData(_payload), _now, _fx);
        if (_fx.Accepted != Mss) throw new InvalidOperationException("The refill should be accepted whole.");
    }

    [Benchmark(Baseline = true, Description = "Handle(ReadCredit 0): fixed cost")]
    public int FixedCost()
    {
        _now += Tick;
        TcpStep.Handle(_tcb, TcpEvent.Credit(0), _now, _fx);
        return _fx.Transmit.Count;
    }

    [Benchmark(Description = "Receive: 1460 B segment + read credit")]
    public int Receive()
    {
        _now += Tick;
        TcpStep.Handle(_tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack | TcpFlags.Psh, _tcb.RcvNxt, _tcb.SndNxt, _payload)), _now, _fx);
        TcpStep.Handle(_tcb, TcpEvent.Credit(Mss), _now, _fx);
        return _fx.Deliver.Count;
    }

    [Benchmark(Description = "Send: ACK frees 1460 B, one segment out + refill")]
    public int Send()
    {
        _now += Tick;
        TcpStep.Handle(_tcb, TcpEvent.FromSegment(Peer(TcpFlags.Ack, _tcb.RcvNxt, _tcb.SndUna + Mss)), _now, _fx);
        int sent = _fx.Transmit.Count;
        TcpStep.Handle(_tcb, TcpEvent.SendData(_payload), _now, _fx);
        return sent + _fx.Accepted;
    }
}
