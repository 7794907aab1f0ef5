using System.Text;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>Thrown when a <see cref="Tcb"/> or the data stream breaks a rule, with the events that led there.</summary>
internal sealed class InvariantViolation(string message) : Exception(message);

/// <summary>
/// Hosts the pure step for two connection blocks joined by a tiny in-test wire (delay, jitter, so
/// reordering, loss, duplication), the way ConnectionHost does but with nothing else in between,
/// and checks every invariant after every step. Applications on both sides stream bytes and compare
/// what arrives with what was sent, so any byte delivered twice, out of order or invented shows up.
/// </summary>
internal sealed class StepDriver
{
    public sealed record Wire(long Delay, long Jitter, double Loss, double Duplicate);

    private sealed class End(string name, Tcb tcb, byte[] sends)
    {
        public readonly string Name = name;
        public Tcb Tcb = tcb;
        public readonly byte[] Sends = sends;
        public int Queued;
        public readonly MemoryStream Received = new();
        public bool ReceiveCompleted, CloseRequested, Closed;
        public TcpError Error;
        public SeqNum? LastRcvNxt, LastSndUna;
        public long Segments;
    }

    private readonly Random _rng;
    private readonly Wire _wire;
    private readonly End _client, _server;
    private readonly PriorityQueue<(End To, TcpSegment Segment), (long, long)> _inFlight = new();
    private readonly TcpEffects _fx = new();
    private readonly Queue<string> _history = new();
    private long _now, _order;

    public StepDriver(int seed, Wire wire, TcpConfig config, int clientBytes, int serverBytes)
    {
        _rng = new Random(seed);
        _wire = wire;
        var serverKey = new ConnectionKey(HostileNet.ServerAddress, 80, HostileNet.ClientAddress, 40000);
        var clientKey = new ConnectionKey(HostileNet.ClientAddress, 40000, HostileNet.ServerAddress, 80);
        var clientData = new byte[clientBytes];
        var serverData = new byte[serverBytes];
        _rng.NextBytes(clientData);
        _rng.NextBytes(serverData);
        // ISNs anywhere in the space, so some runs wrap 2^32.
        _client = new End("client", new Tcb(clientKey, config, new SeqNum((uint)_rng.NextInt64(1L << 32))), clientData);
        _server = new End("server", new Tcb(serverKey, config, new SeqNum((uint)_rng.NextInt64(1L << 32)), TcpState.Listen), serverData);
    }

    public long SegmentsSent => _client.Segments + _server.Segments;
    public long Now => _now;

    /// <summary>Runs the exchange to the end (both CLOSED) or <paramref name="limit"/>; throws <see cref="InvariantViolation"/>.</summary>
    public void Run(TimeSpan limit)
    {
        Step(_client, TcpEvent.Of(TcpEventKind.Connect));
        Step(_client, TcpEvent.Credit(long.MaxValue));
        Step(_server, TcpEvent.Credit(long.MaxValue));
        while (!(_client.Closed && _server.Closed))
        {
            long next = Math.Min(_client.Closed ? long.MaxValue : _client.Tcb.NextDeadline, _server.Closed ? long.MaxValue : _server.Tcb.NextDeadline);
            if (_inFlight.TryPeek(out _, out var at) && at.Item1 < next) next = at.Item1;
            if (next == long.MaxValue) Fail("nothing left to happen, yet the connection is not closed");
            if (next > limit.Ticks) Fail($"not finished after {limit}");
            _now = Math.Max(_now, next);
            while (_inFlight.TryPeek(out var item, out var when) && when.Item1 <= _now)
            {
                _inFlight.Dequeue();
                if (!item.To.Closed) Step(item.To, TcpEvent.FromSegment(item.Segment));
                Pump(item.To);
            }
            foreach (var end in new[] { _client, _server })
            {
                if (!end.Closed && end.Tcb.NextDeadline <= _now) Step(end, TcpEvent.Of(TcpEventKind.Timer));
                Pump(end);
            }
        }
        foreach (var (from, to) in new[] { (_client, _server), (_server, _client) })
        {
            if (from.Error != TcpError.None || to.Error != TcpError.None) Fail($"connection failed: {from.Name} {from.Error}, {to.Name} {to.Error}");
            if (to.Received.Length != from.Sends.Length || !to.ReceiveCompleted) Fail($"{to.Name} got {to.Received.Length} of {from.Sends.Length} bytes (FIN seen: {to.ReceiveCompleted})");
        }
    }

    private int Step(End end, in TcpEvent ev)
    {
        var tcb = end.Tcb;
        TcpStep.Handle(tcb, ev, _now, _fx);
        int accepted = _fx.Accepted;
        Record($"{_now / (double)TimeSpan.TicksPerMillisecond,10:F3} ms {end.Name,-6} {ev} → {tcb}{(_fx.Transmit.Count > 0 ? " sends " + string.Join(", ", _fx.Transmit.Select(s => s.ToString())) : "")}");

        foreach (var data in _fx.Deliver)
        {
            if (end.Received.Length + data.Length > (end == _client ? _server : _client).Sends.Length) Fail($"{end.Name} was delivered more bytes than its peer sent");
            var expected = (end == _client ? _server : _client).Sends.AsSpan((int)end.Received.Length, data.Length);
            if (!expected.SequenceEqual(data.Span)) Fail($"{end.Name} was delivered bytes that differ from what its peer sent at offset {end.Received.Length + expected.CommonPrefixLength(data.Span)}");
            end.Received.Write(data.Span);
        }
        if (_fx.ReceiveCompleted)
        {
            if (end.ReceiveCompleted) Fail($"{end.Name} told twice that the stream ended");
            end.ReceiveCompleted = true;
        }
        var transmit = _fx.Transmit.ToArray();
        if (_fx.Closed)
        {
            end.Closed = true;
            end.Error = _fx.Error;
        }
        CheckInvariants(end, ev.Kind == TcpEventKind.Timer, transmit);

        foreach (var segment in transmit)
        {
            end.Segments++;
            var copy = segment;
            copy.Payload = segment.Payload.ToArray();
            var to = end == _client ? _server : _client;
            if (_rng.NextDouble() < _wire.Loss) continue;
            int copies = _rng.NextDouble() < _wire.Duplicate ? 2 : 1;
            for (int i = 0; i < copies; i++)
                _inFlight.Enqueue((to, copy), (_now + _wire.Delay + (_wire.Jitter > 0 ? _rng.NextInt64(_wire.Jitter) : 0), _order++));
        }

        return accepted;
    }

    /// <summary>The application: keeps the send buffer topped up and closes once everything is queued.</summary>
    private void Pump(End end)
    {
        var tcb = end.Tcb;
        while (!end.Closed && TcpStep.IsSynchronized(tcb.State) && end.Queued < end.Sends.Length && tcb.SendBufferFree > 0)
        {
            int accepted = Step(end, TcpEvent.SendData(end.Sends.AsMemory(end.Queued, Math.Min(tcb.SendBufferFree, end.Sends.Length - end.Queued))));
            if (accepted == 0) break;
            end.Queued += accepted;
        }
        if (!end.Closed && !end.CloseRequested && end.Queued == end.Sends.Length && TcpStep.IsSynchronized(tcb.State))
        {
            end.CloseRequested = true;
            Step(end, TcpEvent.Of(TcpEventKind.Close));
        }
    }

    private void CheckInvariants(End end, bool timerStep, TcpSegment[] transmit)
    {
        var t = end.Tcb;
        if (t.State == TcpState.Listen) return;
        if (!(t.SndUna <= t.SndNxt && t.SndNxt <= t.SndMax)) Fail($"{end.Name}: SND.UNA ≤ SND.NXT ≤ SND.MAX broken");
        if (t.SndMax - t.SndUna > t.SendBuffer.Capacity + 2) Fail($"{end.Name}: {t.SndMax - t.SndUna} bytes in flight exceed the send buffer");
        if (t.SendBuffer.Count > t.SendBuffer.Capacity || t.ReceiveBuffer.Count > t.ReceiveBuffer.Capacity) Fail($"{end.Name}: a buffer holds more than its capacity");
        if (t.SendBufferStart > t.SndUna + 1) Fail($"{end.Name}: send buffer released data not yet acknowledged");
        if (t.Receive.OutOfOrder.Count > t.Receive.OutOfOrder.MaxRanges || t.Recovery.Scoreboard.Count > t.Recovery.Scoreboard.MaxRanges) Fail($"{end.Name}: range list beyond its bound");
        if (t.Cwnd <= 0 || t.SndWnd < 0) Fail($"{end.Name}: window gone negative (cwnd {t.Cwnd}, snd.wnd {t.SndWnd})");
        if (TcpStep.IsSynchronized(t.State))
        {
            if (end.LastRcvNxt is { } r && t.RcvNxt < r) Fail($"{end.Name}: RCV.NXT went back from {r} to {t.RcvNxt}");
            if (end.LastSndUna is { } u && t.SndUna < u) Fail($"{end.Name}: SND.UNA went back from {u} to {t.SndUna}");
            end.LastRcvNxt = t.RcvNxt;
            end.LastSndUna = t.SndUna;
        }
        if (t.TimeWaitAt != long.MaxValue && t.State != TcpState.TimeWait) Fail($"{end.Name}: TIME-WAIT timer armed in {t.State}");
        if (t.State == TcpState.Closed && t.NextDeadline != long.MaxValue)
            Fail($"{end.Name}: timer still armed in CLOSED");
        // A deadline at "now" after an ordinary step only costs one extra timer step; after a timer
        // step it means the timer re-armed itself without moving on: a busy loop in virtual time.
        if (timerStep && t.State != TcpState.Closed && t.NextDeadline <= _now)
            Fail($"{end.Name}: timer fired and re-armed at or before now (transmit {t.TransmitCheckAt}, recovery {t.RecoveryCheckAt}, persist {t.PersistAt}, delack {t.DelayedAckAt}, keepalive {t.KeepAliveAt}, now {_now})");
        if (t.State == TcpState.Closed && !end.Closed) Fail($"{end.Name}: CLOSED without telling the host");
        foreach (var s in transmit)
        {
            if (s.Payload.Length > t.EffectiveMss) Fail($"{end.Name}: {s.Payload.Length}-byte segment exceeds the MSS {t.EffectiveMss}");
            if (s.Payload.Length > 0 && (s.Seq < t.SndUna - 1 || s.Seq + s.Payload.Length > t.SndMax)) Fail($"{end.Name}: sent data outside [SND.UNA, SND.MAX]: {s}");
        }
    }

    private void Record(string line)
    {
        _history.Enqueue(line);
        if (_history.Count > 60) _history.Dequeue();
    }

    private void Fail(string why)
    {
        var sb = new StringBuilder(why).AppendLine().AppendLine($"client: {_client.Tcb}").AppendLine($"server: {_server.Tcb}").AppendLine("last events:");
        foreach (var line in _history) sb.AppendLine(line);
        throw new InvariantViolation(sb.ToString());
    }
}
