using System.Text;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Marbles;
using Reactive.Tcp.Wire;
using Xunit.Sdk;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// One connection block fed to the pure step one event at a time, in the manner of smoltcp's
/// <c>send!</c>/<c>recv!</c> socket tests: a segment, an application call or a timer goes in, and
/// the test states exactly which segments come out (<see cref="Sends"/>) or that none do
/// (<see cref="SendsNothing"/>), then the resulting state.
/// </summary>
/// <remarks>
/// Segments are written in the marble notation (<see cref="SegmentNotation"/>):
/// <c>[S.] seq 1000 ack 5001 win 65535 &lt;mss 1460&gt;</c>. An arriving segment is built exactly as
/// written (unwritten window 65535, no options, <c>len N</c> carries pattern bytes). The step's
/// segments are compared as they go on the wire (written by the codec and parsed back). An expected
/// segment must pin every field (seq, ack when the ACK flag is set, win, options with <c>&lt;&gt;</c>
/// for none); its IP ECN codepoint is Not-ECT unless written. A mismatch prints expected and actual
/// segments in that notation, the connection, and the events that led there.
/// <para>
/// This is the one file of the step tests that reads <see cref="Tcb"/>: every connection variable a
/// test asserts on is a property here, so a change of the block's shape is a change of this file.
/// </para>
/// Connections are built by driving real handshakes and closes, not by setting fields: the local
/// end is 192.0.2.2:80 with ISS 1000, the peer 192.0.2.1:40000 with ISS 5000. Time is in
/// milliseconds and only moves when a test says so (<see cref="At"/>, <see cref="After"/>).
/// </remarks>
internal sealed class StepHarness
{
    /// <summary>Our initial send sequence number.</summary>
    public const uint Iss = 1000;

    /// <summary>The peer's initial sequence number in every builder's SYN.</summary>
    public const uint PeerIss = 5000;

    /// <summary>A peer SYN offering only an MSS: the connection then has no options at all.</summary>
    public const string PlainSyn = "[S] seq 5000 win 65535 <mss 1460>";

    /// <summary>A peer SYN offering SACK (no timestamps, no window scale).</summary>
    public const string SackSyn = "[S] seq 5000 win 65535 <mss 1460,sackOK>";

    /// <summary>A peer SYN offering timestamps (TSval 100).</summary>
    public const string TimestampSyn = "[S] seq 5000 win 65535 <mss 1460,TS val 100 ecr 0>";

    /// <summary>
    /// The step tests' configuration: the defaults, except that every in-order segment is
    /// acknowledged at once, so each step's reply shows (delayed-ACK tests set their own).
    /// </summary>
    public static readonly TcpConfig DefaultConfig = TcpConfig.Default with { DelayedAck = TimeSpan.Zero };

    private static readonly ConnectionKey Key = new(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);
    private const long TicksPerMs = TimeSpan.TicksPerMillisecond;

    private readonly Tcb _tcb;
    private readonly TcpEffects _fx = new();
    private readonly List<string> _history = new();
    private readonly List<TcpSegment> _sent = new();
    private readonly List<byte> _delivered = new();
    private string _lastEvent = "(no step yet)";
    private long _nowTicks;

    private StepHarness(TcpConfig config, TcpState initial, uint iss)
    {
        _tcb = new Tcb(Key, config, new SeqNum(iss), initial);
    }

    // ---------------------------------------------------------------- builders

    /// <summary>A block in CLOSED, as the host makes one for a segment that matches nothing.</summary>
    public static StepHarness Closed(TcpConfig? config = null, uint iss = Iss) => new(config ?? DefaultConfig, TcpState.Closed, iss);

    /// <summary>A listener's half-open block in LISTEN, waiting for the first segment.</summary>
    /// <remarks>Every builder but <see cref="Closed"/> gives the application unlimited read credit (it reads all that arrives) unless <paramref name="credit"/> says otherwise.</remarks>
    public static StepHarness Listening(TcpConfig? config = null, uint iss = Iss, long credit = long.MaxValue)
    {
        var h = new StepHarness(config ?? DefaultConfig, TcpState.Listen, iss);
        if (credit > 0) h.Credit(credit).SendsNothing().Is(TcpState.Listen);
        return h;
    }

    /// <summary>An active open at 0 ms: CLOSED, Connect, our SYN sent.</summary>
    public static StepHarness SynSent(TcpConfig? config = null, uint iss = Iss, long credit = long.MaxValue)
    {
        var h = Closed(config, iss);
        h.Connect().Is(TcpState.SynSent);
        if (credit > 0) h.Credit(credit);
        return h;
    }

    /// <summary>A passive open at 0 ms: LISTEN, the peer's <paramref name="syn"/> arrives, our SYN-ACK sent.</summary>
    public static StepHarness SynReceived(TcpConfig? config = null, string syn = PlainSyn, uint iss = Iss, long credit = long.MaxValue)
    {
        var h = Listening(config, iss, credit);
        h.Segment(syn).Is(TcpState.SynReceived);
        return h;
    }

    /// <summary>
    /// A passive open completed at 1 ms: the peer's <paramref name="syn"/>, our SYN-ACK, the peer's
    /// ACK (with a timestamp TSval+1 echoing ours when the SYN had one).
    /// </summary>
    public static StepHarness Established(TcpConfig? config = null, string syn = PlainSyn, uint iss = Iss, long credit = long.MaxValue)
    {
        var h = SynReceived(config, syn, iss, credit);
        var peerSyn = Parse(syn);
        string ts = peerSyn.Options is { HasTimestamps: true } o && h._tcb.TimestampsEnabled ? $" <TS val {o.TsVal + 1} ecr 0>" : "";
        h.At(1).Segment($"[.] seq {peerSyn.Seq + 1} ack {iss + 1} win {peerSyn.Window ?? 65535}{ts}").SendsNothing().Is(TcpState.Established);
        return h;
    }

    /// <summary>An active open completed at 1 ms: our SYN at 0 ms, the peer's <paramref name="synAck"/>, our ACK.</summary>
    public static StepHarness ActiveEstablished(TcpConfig? config = null, string synAck = "[S.] seq 5000 ack 1001 win 65535 <mss 1460>", long credit = long.MaxValue)
    {
        var h = SynSent(config, credit: credit);
        h.At(1).Segment(synAck).Is(TcpState.Established);
        return h;
    }

    /// <summary>ESTABLISHED, then the application closes at 2 ms: our FIN (seq 1001) is out.</summary>
    public static StepHarness FinWait1(TcpConfig? config = null, string syn = PlainSyn)
    {
        var h = Established(config, syn);
        h.At(2).Close().Is(TcpState.FinWait1);
        return h;
    }

    /// <summary>FIN-WAIT-1, then the peer acknowledges our FIN at 3 ms.</summary>
    public static StepHarness FinWait2(TcpConfig? config = null, string syn = PlainSyn)
    {
        var h = FinWait1(config, syn);
        h.At(3).Segment("[.] seq 5001 ack 1002 win 65535").SendsNothing().Is(TcpState.FinWait2);
        return h;
    }

    /// <summary>ESTABLISHED, then the peer's FIN (seq 5001) arrives at 2 ms and is acknowledged.</summary>
    public static StepHarness CloseWait(TcpConfig? config = null, string syn = PlainSyn, long credit = long.MaxValue)
    {
        var h = Established(config, syn, credit: credit);
        h.At(2).Segment("[F.] seq 5001 ack 1001 win 65535").Is(TcpState.CloseWait);
        return h;
    }

    /// <summary>CLOSE-WAIT, then the application closes at 3 ms: our FIN (seq 1001) is out.</summary>
    public static StepHarness LastAck(TcpConfig? config = null, string syn = PlainSyn)
    {
        var h = CloseWait(config, syn);
        h.At(3).Close().Is(TcpState.LastAck);
        return h;
    }

    /// <summary>FIN-WAIT-1, then the peer's FIN crosses ours at 3 ms (it does not acknowledge ours).</summary>
    public static StepHarness Closing(TcpConfig? config = null, string syn = PlainSyn)
    {
        var h = FinWait1(config, syn);
        h.At(3).Segment("[F.] seq 5001 ack 1001 win 65535").Is(TcpState.Closing);
        return h;
    }

    /// <summary>FIN-WAIT-2, then the peer's FIN arrives at 4 ms: TIME-WAIT.</summary>
    public static StepHarness TimeWait(TcpConfig? config = null, string syn = PlainSyn)
    {
        var h = FinWait2(config, syn);
        h.At(4).Segment("[F.] seq 5001 ack 1002 win 65535").Is(TcpState.TimeWait);
        return h;
    }

    /// <summary>A passive-open connection driven to <paramref name="state"/> (any state but CLOSED, LISTEN and SYN-SENT, which have their own builders too).</summary>
    public static StepHarness In(TcpState state, TcpConfig? config = null, string syn = PlainSyn) => state switch
    {
        TcpState.Closed => Closed(config),
        TcpState.Listen => Listening(config),
        TcpState.SynSent => SynSent(config),
        TcpState.SynReceived => SynReceived(config, syn),
        TcpState.Established => Established(config, syn),
        TcpState.FinWait1 => FinWait1(config, syn),
        TcpState.FinWait2 => FinWait2(config, syn),
        TcpState.CloseWait => CloseWait(config, syn),
        TcpState.Closing => Closing(config, syn),
        TcpState.LastAck => LastAck(config, syn),
        TcpState.TimeWait => TimeWait(config, syn),
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    // ---------------------------------------------------------------- time

    /// <summary>Current time in milliseconds.</summary>
    public long NowMs => _nowTicks / TicksPerMs;

    /// <summary>Moves the clock to <paramref name="ms"/> (never backwards).</summary>
    public StepHarness At(long ms) => AtTicks(ms * TicksPerMs);

    /// <summary>Moves the clock on by <paramref name="ms"/>.</summary>
    public StepHarness After(long ms) => AtTicks(_nowTicks + ms * TicksPerMs);

    private StepHarness AtTicks(long ticks)
    {
        if (ticks < _nowTicks) throw new InvalidOperationException($"time goes forward only (now {Ms(_nowTicks)}, asked {Ms(ticks)})");
        _nowTicks = ticks;
        return this;
    }

    // ---------------------------------------------------------------- events

    /// <summary>The peer's segment, in marble notation, arrives.</summary>
    public StepHarness Segment(string text)
    {
        var pattern = Parse(text);
        return Segment(pattern.Build(Key.RemotePort, Key.LocalPort), pattern.Text);
    }

    /// <summary>A segment built by the test arrives (for fields the notation does not write, e.g. the urgent pointer).</summary>
    public StepHarness Segment(in TcpSegment segment, string? text = null) =>
        Step(TcpEvent.FromSegment(segment), "in " + (text ?? SegmentNotation.Format(segment)));

    /// <summary>Builds the peer's segment from <paramref name="text"/> (ports filled in) for a test to adjust.</summary>
    public static TcpSegment Build(string text) => Parse(text).Build(Key.RemotePort, Key.LocalPort);

    /// <summary>The application opens actively (RFC 9293 §3.10.1).</summary>
    public StepHarness Connect() => Step(TcpEvent.Of(TcpEventKind.Connect), "app connect");

    /// <summary>The application sends <paramref name="bytes"/> bytes (<c>ABC…Z</c> repeated).</summary>
    public StepHarness Send(int bytes) => Step(TcpEvent.SendData(SegmentNotation.AppPattern(bytes)), $"app send {bytes}");

    /// <summary>The application sends <paramref name="text"/>.</summary>
    public StepHarness Send(string text) => Step(TcpEvent.SendData(Encoding.ASCII.GetBytes(text)), $"app send \"{text}\"");

    /// <summary>The application closes (RFC 9293 §3.10.4).</summary>
    public StepHarness Close() => Step(TcpEvent.Of(TcpEventKind.Close), "app close");

    /// <summary>The application aborts (RFC 9293 §3.10.5).</summary>
    public StepHarness Abort() => Step(TcpEvent.Of(TcpEventKind.Abort), "app abort");

    /// <summary>The application will take <paramref name="bytes"/> more bytes (RECEIVE, RFC 9293 §3.10.3).</summary>
    public StepHarness Credit(long bytes) => Step(TcpEvent.Credit(bytes), $"app read credit {bytes}");

    /// <summary>The host's timer tick at the current time.</summary>
    public StepHarness Timer() => Step(TcpEvent.Of(TcpEventKind.Timer), "timer");

    /// <summary>Moves the clock to the earliest armed deadline and ticks the timer there.</summary>
    public StepHarness FireNextTimer()
    {
        long next = _tcb.NextDeadline;
        if (next == long.MaxValue) throw new XunitException(Report("no timer is armed, so none can fire"));
        return AtTicks(Math.Max(next, _nowTicks)).Timer();
    }

    /// <summary>ICMP fragmentation needed for our segment at <paramref name="quotedSeq"/>.</summary>
    public StepHarness PathMtu(int nextHopMtu, uint quotedSeq) =>
        Step(TcpEvent.PathMtu(nextHopMtu, new SeqNum(quotedSeq)), $"icmp frag needed mtu {nextHopMtu} quoting seq {quotedSeq}");

    private StepHarness Step(in TcpEvent ev, string description)
    {
        var before = _tcb.State;
        TcpStep.Handle(_tcb, ev, _nowTicks, _fx);
        _sent.Clear();
        foreach (var s in _fx.Transmit) _sent.Add(OnTheWire(s));
        _delivered.Clear();
        foreach (var d in _fx.Deliver) _delivered.AddRange(d.ToArray());
        _lastEvent = $"{Ms(_nowTicks)} {description}";
        var line = new StringBuilder($"{_lastEvent,-60} {Name(before)} → {Name(_tcb.State)}");
        foreach (var s in _sent) line.Append("\n        sends ").Append(SegmentNotation.Format(s));
        _history.Add(line.ToString());
        return this;
    }

    /// <summary>
    /// The segment as the peer gets it: written by the codec and parsed back (so only the SACK
    /// blocks that fit beside the other options remain, and the payload is a copy, not a slice of
    /// the send ring); the IP header's ECN codepoint carried over.
    /// </summary>
    private static TcpSegment OnTheWire(in TcpSegment s)
    {
        var bytes = new byte[TcpCodec.GetHeaderLength(s) + s.PayloadLength];
        TcpCodec.Write(bytes, s, Key.LocalAddress, Key.RemoteAddress);
        var reason = TcpCodec.TryParse(bytes, Key.LocalAddress, Key.RemoteAddress, out var parsed);
        if (reason != DropReason.None) throw new XunitException($"the step sent a segment that does not parse back ({reason}): {SegmentNotation.Format(s)}");
        parsed.Ecn = s.Ecn;
        return parsed;
    }

    // ---------------------------------------------------------------- expectations on the last step

    /// <summary>The last step sent exactly these segments, in this order.</summary>
    public StepHarness Sends(params string[] expected)
    {
        var patterns = expected.Select((text, i) => RequireComplete(Parse(text, (char)('1' + i)))).ToArray();
        bool same = patterns.Length == _sent.Count;
        for (int i = 0; same && i < patterns.Length; i++) same = Exactly(patterns[i], _sent[i]);
        if (!same) throw new XunitException(Report(Mismatch(patterns)));
        return this;
    }

    /// <summary>The last step sent nothing.</summary>
    public StepHarness SendsNothing()
    {
        if (_sent.Count != 0) throw new XunitException(Report(Mismatch([])));
        return this;
    }

    /// <summary>The connection is in <paramref name="state"/>.</summary>
    public StepHarness Is(TcpState state)
    {
        if (_tcb.State != state) throw new XunitException(Report($"expected state {Name(state)}, actual {Name(_tcb.State)}"));
        return this;
    }

    /// <summary>The last step ended the connection (CLOSED, the host told) with <paramref name="error"/>.</summary>
    public StepHarness IsClosedWith(TcpError error)
    {
        if (_tcb.State != TcpState.Closed || !_fx.Closed || _fx.Error != error)
            throw new XunitException(Report($"expected the step to close the connection with error {error}; actual state {Name(_tcb.State)}, closed {_fx.Closed}, error {_fx.Error}"));
        return this;
    }

    /// <summary>The last step dropped the segment as unacceptable (or not).</summary>
    public StepHarness Dropped(bool dropped = true)
    {
        if (_fx.Dropped != dropped) throw new XunitException(Report(dropped ? "expected the segment to be dropped" : "expected the segment to be taken, not dropped"));
        return this;
    }

    /// <summary>The last step marked the ACK it sent as rate-limited of <paramref name="kind"/> (None: no limited ACK).</summary>
    public StepHarness Limited(LimitedAck kind)
    {
        if (_fx.LimitedAck != kind) throw new XunitException(Report($"expected rate-limit mark {kind}, actual {_fx.LimitedAck}"));
        if (kind != LimitedAck.None && _fx.LimitedAckIndex >= _sent.Count)
            throw new XunitException(Report("the limited-ACK mark points past the segments sent"));
        return this;
    }

    /// <summary>The last step handed the application exactly <paramref name="text"/> (empty: nothing).</summary>
    public StepHarness Delivers(string text)
    {
        var actual = _delivered.ToArray();
        if (!actual.AsSpan().SequenceEqual(Encoding.ASCII.GetBytes(text)))
            throw new XunitException(Report($"expected delivery {SegmentNotation.Describe(Encoding.ASCII.GetBytes(text))}, actual {SegmentNotation.Describe(actual)}"));
        return this;
    }

    /// <summary>The last step handed the application exactly <paramref name="bytes"/> bytes.</summary>
    public StepHarness DeliversBytes(int bytes)
    {
        if (_delivered.Count != bytes) throw new XunitException(Report($"expected {bytes} bytes delivered, actual {_delivered.Count}"));
        return this;
    }

    /// <summary>Bytes the last step handed the application.</summary>
    public byte[] Delivered => _delivered.ToArray();

    /// <summary>The last step said the peer's FIN has been delivered (end of stream), or not.</summary>
    public StepHarness ReceiveCompleted(bool completed = true)
    {
        if (_fx.ReceiveCompleted != completed) throw new XunitException(Report($"expected end-of-stream signalled {completed}, actual {_fx.ReceiveCompleted}"));
        return this;
    }

    /// <summary>The last Send event was taken for <paramref name="bytes"/> bytes.</summary>
    public StepHarness Accepted(int bytes)
    {
        if (_fx.Accepted != bytes) throw new XunitException(Report($"expected the send buffer to take {bytes} bytes, actual {_fx.Accepted}"));
        return this;
    }

    /// <summary>The last step reported the connection established, or not.</summary>
    public StepHarness Connected(bool connected = true)
    {
        if (_fx.Connected != connected) throw new XunitException(Report($"expected connected {connected}, actual {_fx.Connected}"));
        return this;
    }

    /// <summary>The last step counted this many retransmitted segments.</summary>
    public StepHarness Retransmitted(int segments)
    {
        if (_fx.Retransmissions != segments) throw new XunitException(Report($"expected {segments} retransmissions counted, actual {_fx.Retransmissions}"));
        return this;
    }

    /// <summary>The segments the last step sent (copies).</summary>
    public IReadOnlyList<TcpSegment> Sent => _sent;

    // ---------------------------------------------------------------- connection variables

    /// <summary>Current state.</summary>
    public TcpState State => _tcb.State;
    /// <summary>SND.UNA.</summary>
    public uint SndUna => _tcb.SndUna.Value;
    /// <summary>SND.NXT.</summary>
    public uint SndNxt => _tcb.SndNxt.Value;
    /// <summary>Highest sequence number sent.</summary>
    public uint SndMax => _tcb.SndMax.Value;
    /// <summary>SND.WND in bytes (scaled).</summary>
    public long SndWnd => _tcb.SndWnd;
    /// <summary>MAX.SND.WND (RFC 5961 §5).</summary>
    public long MaxSndWnd => _tcb.Send.MaxWnd;
    /// <summary>SND.WL1.</summary>
    public uint SndWl1 => _tcb.Send.Wl1.Value;
    /// <summary>SND.WL2.</summary>
    public uint SndWl2 => _tcb.Send.Wl2.Value;
    /// <summary>RCV.NXT.</summary>
    public uint RcvNxt => _tcb.RcvNxt.Value;
    /// <summary>IRS.</summary>
    public uint Irs => _tcb.Receive.Irs.Value;
    /// <summary>Shift applied to the peer's window field.</summary>
    public int SndWndShift => _tcb.SndWndShift;
    /// <summary>Shift we apply to our window field.</summary>
    public int RcvWndShift => _tcb.RcvWndShift;
    /// <summary>The MSS we put in a segment.</summary>
    public int EffectiveMss => _tcb.EffectiveMss;
    /// <summary>Both sides offered SACK.</summary>
    public bool SackEnabled => _tcb.SackEnabled;
    /// <summary>Both sides offered timestamps.</summary>
    public bool TimestampsEnabled => _tcb.TimestampsEnabled;
    /// <summary>TS.Recent, the timestamp we echo.</summary>
    public uint TsRecent => _tcb.Timestamps.Recent;
    /// <summary>Congestion window in bytes.</summary>
    public long Cwnd => _tcb.Cwnd;
    /// <summary>Slow-start threshold in bytes.</summary>
    public long Ssthresh => _tcb.Ssthresh;
    /// <summary>In fast recovery (NewReno or SACK).</summary>
    public bool InRecovery => _tcb.Recovery.InRecovery;
    /// <summary>Duplicate ACKs counted in a row.</summary>
    public int DupAcks => _tcb.Recovery.DupAcks;
    /// <summary>Smoothed RTT.</summary>
    public TimeSpan SmoothedRtt => TimeSpan.FromTicks(_tcb.SmoothedRtt);
    /// <summary>Current RTO including backoff.</summary>
    public TimeSpan Rto => TimeSpan.FromTicks(_tcb.Rtt.Rto(_tcb.Config));
    /// <summary>Consecutive timeouts.</summary>
    public int Retries => _tcb.Rtt.Backoff;
    /// <summary>Bytes queued by the application and not yet acknowledged.</summary>
    public int SendQueued => _tcb.SendBuffer.Count;
    /// <summary>Bytes received in order and not yet delivered.</summary>
    public int ReceiveQueued => _tcb.ReceiveQueued;
    /// <summary>The out-of-order ranges we hold, as <c>left:right</c>.</summary>
    public string[] OutOfOrder => _tcb.Receive.OutOfOrder.Ranges.Select(r => $"{r.Left}:{r.Right}").ToArray();
    /// <summary>The sender's scoreboard: ranges the peer SACKed, as <c>left:right</c>.</summary>
    public string[] Scoreboard => _tcb.Recovery.Scoreboard.Ranges.Select(r => $"{r.Left}:{r.Right}").ToArray();
    /// <summary>When the retransmission timer fires, if armed.</summary>
    public TimeSpan? RetransmitAt => Deadline(_tcb.TransmitCheckAt);
    /// <summary>When TIME-WAIT ends, if armed.</summary>
    public TimeSpan? TimeWaitEndsAt => Deadline(_tcb.TimeWaitAt);
    /// <summary>When the next zero-window probe goes out, if armed.</summary>
    public TimeSpan? PersistAt => Deadline(_tcb.PersistAt);
    /// <summary>When a delayed ACK goes out, if armed.</summary>
    public TimeSpan? DelayedAckAt => Deadline(_tcb.DelayedAckAt);
    /// <summary>When a keep-alive probe goes out, if armed.</summary>
    public TimeSpan? KeepAliveAt => Deadline(_tcb.KeepAliveAt);
    /// <summary>When a tail loss probe goes out, if armed.</summary>
    public TimeSpan? ProbeAt => Deadline(_tcb.ProbeAt);
    /// <summary>The earliest armed deadline.</summary>
    public TimeSpan? NextDeadline => Deadline(_tcb.NextDeadline);

    private static TimeSpan? Deadline(long ticks) => ticks == long.MaxValue ? null : TimeSpan.FromTicks(ticks);

    // ---------------------------------------------------------------- notation and reports

    private static SegmentPattern Parse(string text, char name = 'x') => SegmentNotation.Parse(name, text, line: 0);

    /// <summary>An expected segment must pin every field: this harness checks segments exactly.</summary>
    private static SegmentPattern RequireComplete(SegmentPattern p)
    {
        var missing = new List<string>();
        if (p.Seq is null) missing.Add("seq");
        if ((p.Flags & TcpFlags.Ack) != 0 && p.Ack is null) missing.Add("ack");
        if (p.Window is null) missing.Add("win");
        if (p.Options is null) missing.Add("<options> (<> for none)");
        if (p.Length is null) missing.Add("len (not *)");
        if (missing.Count > 0) throw new ArgumentException($"expected segment \"{p.Text}\" leaves out {string.Join(", ", missing)}: step tests check segments exactly");
        return p;
    }

    private static bool Exactly(SegmentPattern p, in TcpSegment s) =>
        p.Matches(s) && (p.Ecn ?? IpEcn.NotEct) == s.Ecn && ((p.Flags & TcpFlags.Ack) != 0 || p.Ack is null || s.Ack.Value == p.Ack);

    private string Mismatch(SegmentPattern[] expected)
    {
        var sb = new StringBuilder("segments sent differ\n");
        sb.Append($"  expected {expected.Length}:\n");
        foreach (var p in expected) sb.Append("    ").Append(p.Text).Append('\n');
        if (expected.Length == 0) sb.Append("    (nothing)\n");
        sb.Append($"  actual {_sent.Count}:\n");
        foreach (var s in _sent) sb.Append("    ").Append(SegmentNotation.Format(s)).Append('\n');
        if (_sent.Count == 0) sb.Append("    (nothing)\n");
        return sb.ToString();
    }

    private string Report(string what)
    {
        var sb = new StringBuilder();
        sb.Append("after ").Append(_lastEvent).Append(":\n").Append(what.TrimEnd('\n')).Append('\n');
        sb.Append("  connection: ").Append(_tcb).Append('\n');
        sb.Append("  steps so far:\n");
        foreach (var line in _history.TakeLast(24)) sb.Append("    ").Append(line).Append('\n');
        return sb.ToString();
    }

    private static string Name(TcpState state) => Reactive.Tcp.Diagnostics.RxTcpMetrics.StateName(state);

    private static string Ms(long ticks) => $"{ticks / (double)TicksPerMs:0.###}ms";
}
