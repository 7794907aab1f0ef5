using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// The transmission control block: everything one connection remembers between events
/// (RFC 9293 §3.3.1). Owned by exactly one step at a time; only <see cref="TcpStep"/> changes it.
/// </summary>
/// <remarks>
/// Held in typed parts, each a struct kept inline and reached by reference (<c>ref tcb.Send</c>),
/// so the block stays one object: the send and receive sequence spaces, loss recovery, the
/// congestion window, ECN, timestamps, the RTT estimator and the timers. The public properties
/// are read-only views of them for the host, tests and benchmarks.
/// </remarks>
public sealed partial class Tcb
{
    /// <summary>Creates a block in <see cref="TcpState.Closed"/> (or <see cref="TcpState.Listen"/> for a listener's half-open child).</summary>
    /// <param name="key">The 4-tuple.</param>
    /// <param name="config">Tunables.</param>
    /// <param name="iss">Initial send sequence number.</param>
    /// <param name="state">Starting state: <see cref="TcpState.Closed"/> or <see cref="TcpState.Listen"/>.</param>
    public Tcb(ConnectionKey key, TcpConfig config, SeqNum iss, TcpState state = TcpState.Closed)
    {
        Key = key;
        Config = config;
        State = state;
        _send = new SendSequenceSpace(iss, config.SendBufferSize, config.DefaultPeerMss);
        _ecn = new EcnState(iss);
        _receive = new ReceiveSequenceSpace(config.ReceiveBufferSize, config.WindowScaling);
        _rtt = new RttEstimator(config);
    }

    /// <summary>The 4-tuple.</summary>
    public ConnectionKey Key { get; }
    /// <summary>Tunables.</summary>
    public TcpConfig Config { get; }
    /// <summary>Current state.</summary>
    public TcpState State { get => (TcpState)_state; internal set => _state = (byte)value; }
    private byte _state; // a byte each, like the other narrow fields: the block's size is a tracked figure
    /// <summary>Why the connection failed, once it has.</summary>
    public TcpError Error { get => (TcpError)_error; internal set => _error = (byte)value; }
    private byte _error;
    /// <summary>Created by a listener for an arriving SYN (a RST in SYN-RECEIVED then ends it quietly).</summary>
    public bool PassiveOpen { get; internal set; }

    // --- send sequence space ---
    /// <summary>The send side: sequence variables, the peer's window and MSS, queued data and our FIN.</summary>
    internal ref SendSequenceSpace Send => ref _send;
    private SendSequenceSpace _send;
    /// <summary>Oldest unacknowledged sequence number.</summary>
    public SeqNum SndUna => _send.Una;
    /// <summary>Next sequence number to send.</summary>
    public SeqNum SndNxt => _send.Nxt;
    /// <summary>Highest sequence number sent so far (SND.NXT can fall back below it after a timeout).</summary>
    public SeqNum SndMax => _send.Max;
    /// <summary>Peer's window in bytes, already scaled.</summary>
    public long SndWnd => _send.Wnd;
    /// <summary>Shift applied to the peer's window field (0 unless both sides sent window scale).</summary>
    public int SndWndShift => _send.WndShift;
    /// <summary>Largest payload the path MTU allows (RFC 1191), once ICMP has lowered it; int.MaxValue until then.</summary>
    public int PathMss => _send.PathMss;
    /// <summary>Largest payload we put in one segment.</summary>
    public int EffectiveMss => _send.EffectiveMss(Config.Mss);
    /// <summary>Data sent and not yet acknowledged (bytes of sequence space).</summary>
    public int BytesInFlight => _send.BytesInFlight;
    /// <summary>Unacknowledged and unsent application data.</summary>
    internal ref ByteRing SendBuffer => ref _send.Buffer;
    /// <summary>Sequence number of the first byte in <see cref="SendBuffer"/>.</summary>
    internal SeqNum SendBufferStart => _send.BufferStart;
    /// <summary>The application asked to close: a FIN follows the queued data.</summary>
    public bool FinQueued => _send.FinQueued;
    /// <summary>Bytes of send buffer free for the application.</summary>
    public int SendBufferFree => _send.BufferFree;

    // --- receive sequence space ---
    /// <summary>The receive side: sequence variables, advertised window, received data, the peer's FIN, delayed-ACK bookkeeping.</summary>
    internal ref ReceiveSequenceSpace Receive => ref _receive;
    private ReceiveSequenceSpace _receive;
    /// <summary>Next sequence number expected.</summary>
    public SeqNum RcvNxt => _receive.Nxt;
    /// <summary>Shift we apply to our window field (0 unless both sides sent window scale).</summary>
    public int RcvWndShift => _receive.WndShift;
    /// <summary>Bytes received in order and not yet delivered.</summary>
    public int ReceiveQueued => _receive.Queued;
    /// <summary>In-order undelivered data, then out-of-order data at its offset.</summary>
    internal ref ByteRing ReceiveBuffer => ref _receive.Buffer;

    // --- round-trip time ---
    /// <summary>RTO estimator, and the round trip being timed.</summary>
    internal ref RttEstimator Rtt => ref _rtt;
    private RttEstimator _rtt;
    /// <summary>Smoothed RTT (ticks); 0 before the first sample.</summary>
    public long SmoothedRtt => Rtt.Srtt;

    // --- congestion control ---
    /// <summary>The congestion window, slow-start threshold and controller.</summary>
    internal ref CongestionWindow Congestion => ref _congestion;
    private CongestionWindow _congestion = new();
    /// <summary>Congestion window (bytes); long.MaxValue when congestion control is off (or before the handshake).</summary>
    public long Cwnd => _congestion.Cwnd;
    /// <summary>Slow-start threshold (bytes).</summary>
    public long Ssthresh => _congestion.Ssthresh;

    // --- loss recovery ---
    /// <summary>Duplicate ACKs, fast recovery, the SACK scoreboard and recovery rounds, the tail loss probe.</summary>
    internal ref LossRecovery Recovery => ref _recovery;
    private LossRecovery _recovery = new();
    /// <summary>Both sides sent SACK-permitted: ACKs carry SACK blocks and loss recovery uses them.</summary>
    public bool SackEnabled => _recovery.SackEnabled;

    // --- explicit congestion notification (RFC 3168) ---
    /// <summary>What the SYNs agreed on ECN, and the echo and CWR owed.</summary>
    internal ref EcnState Ecn => ref _ecn;
    private EcnState _ecn;
    /// <summary>Both SYNs agreed on ECN: new data goes out ECN-capable and congestion marks are echoed and obeyed.</summary>
    public bool EcnEnabled => _ecn.Enabled;
    /// <summary>Times the congestion window was reduced for an ECN echo.</summary>
    public int EcnReductions => _ecn.Reductions;

    // --- timers ---
    /// <summary>Every deadline of the connection (see <see cref="TcpTimers"/>).</summary>
    internal ref TcpTimers Timers => ref _timers;
    private TcpTimers _timers = new();
    /// <summary>When the retransmission timer fires (long.MaxValue: not armed).</summary>
    public long TransmitCheckAt => _timers[TimerKind.TransmitCheck];
    /// <summary>When the next zero-window probe goes out (long.MaxValue: not armed).</summary>
    public long PersistAt => _timers[TimerKind.Persist];
    /// <summary>When TIME-WAIT ends (long.MaxValue: not armed).</summary>
    public long TimeWaitAt => _timers[TimerKind.TimeWait];
    /// <summary>When a delayed ACK goes out (long.MaxValue: not armed).</summary>
    public long DelayedAckAt => _timers[TimerKind.DelayedAck];
    /// <summary>When the next keep-alive probe goes out (long.MaxValue: not armed).</summary>
    public long KeepAliveAt => _timers[TimerKind.KeepAlive];
    /// <summary>When a tail loss probe goes out (long.MaxValue: not armed).</summary>
    public long ProbeAt => _timers[TimerKind.TailLossProbe];
    /// <summary>When SACK recovery looks again at holes whose resends may have been lost (long.MaxValue: not armed).</summary>
    public long RecoveryCheckAt => _timers[TimerKind.RecoveryCheck];
    /// <summary>The earliest armed deadline, or long.MaxValue.</summary>
    public long NextDeadline => _timers.NextDeadline;
    /// <summary>Backoff count of the persist timer.</summary>
    internal int PersistBackoff { get => _persistBackoff; set => _persistBackoff = Narrow.ToByte(value); }
    private byte _persistBackoff;
    /// <summary>Keep-alive probes sent without an answer.</summary>
    internal int KeepAliveProbesSent { get => _keepAliveProbesSent; set => _keepAliveProbesSent = Narrow.ToUShort(value); }
    private ushort _keepAliveProbesSent;

    // --- timestamps (RFC 7323) ---
    /// <summary>Whether timestamps are on, TS.Recent and our clock.</summary>
    internal ref TimestampState Timestamps => ref _timestamps;
    private TimestampState _timestamps;
    /// <summary>Both sides sent the timestamps option: every segment carries one.</summary>
    public bool TimestampsEnabled => _timestamps.Enabled;

    /// <summary>Gives the send and receive buffers back to the pool once the connection is gone.</summary>
    internal void ReleaseBuffers()
    {
        SendBuffer.Release();
        ReceiveBuffer.Release();
    }

    /// <summary>A one-line summary for traces.</summary>
    public override string ToString() =>
        $"{State} una={SndUna} nxt={SndNxt} wnd={SndWnd} rcv.nxt={RcvNxt} cwnd={(Cwnd == long.MaxValue ? "off" : Cwnd.ToString())}";
}
