using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// The transport's connections in TIME-WAIT, apart from its live connections and bounded on their
/// own (<see cref="StackLimits.MaxTimeWait"/>, as Linux bounds its time-wait buckets): a closing
/// connection never has to wait for room, and TIME-WAIT never keeps a new connection out.
/// </summary>
/// <remarks>
/// Every record's 2 MSL end is "now + 2 MSL" with a clock that only moves forward, so records end
/// in the order they entered, or were restarted (a retransmitted FIN restarts 2 MSL): a queue in
/// arrival order, re-queued on restart, with one scheduler wake for its head, is enough.
/// </remarks>
internal sealed class TimeWaitTable(TcpTransport transport, IScheduler scheduler, object gate)
{
    private readonly Dictionary<ConnectionKey, TimeWaitRecord> _records = new();
    private readonly Queue<(ConnectionKey Key, long At)> _expiries = new();
    private long _scheduledFor = long.MaxValue;
    private IDisposable? _scheduled;
    private bool _stopped;

    /// <summary>Records held.</summary>
    public int Count
    {
        get { lock (gate) return _records.Count; }
    }

    /// <summary>Whether there is room for one more record.</summary>
    public bool HasRoom => _records.Count < transport.Limits.MaxTimeWait;

    /// <summary>The record for <paramref name="key"/>, if that 4-tuple is in TIME-WAIT.</summary>
    public bool TryGet(ConnectionKey key, out TimeWaitRecord record) => _records.TryGetValue(key, out record!);

    /// <summary>Takes in a connection that entered TIME-WAIT (the caller checked <see cref="HasRoom"/>).</summary>
    public void Add(TimeWaitRecord record)
    {
        _records[record.Key] = record;
        Expect(record);
    }

    /// <summary>
    /// Steps a record with a segment for its 4-tuple (the pure step, as any connection): its answer
    /// goes out; a RST or the end of 2 MSL ends it.
    /// </summary>
    public void Step(TimeWaitRecord record, in TcpEvent ev) => Step(record, ev, transport.Now);

    private void Step(TimeWaitRecord record, in TcpEvent ev, long now)
    {
        var fx = transport.Effects;
        long at = record.Tcb.TimeWaitAt;
        TcpStep.Handle(record.Tcb, ev, now, fx);
        for (int i = 0; i < fx.Transmit.Count; i++) transport.Transmit(record.Key, fx.Transmit[i]);
        transport.Counters.AddStep(fx);
        if (fx.Dropped && ev.Kind == TcpEventKind.Segment) transport.Drops.Increment(DropReason.Unacceptable);
        if (fx.Closed || record.Tcb.State == TcpState.Closed) End(record);
        else if (record.Tcb.TimeWaitAt != at) Expect(record);
    }

    /// <summary>Ends a record before its time: a new connection takes over its 4-tuple (RFC 6191).</summary>
    public void Reuse(TimeWaitRecord record)
    {
        transport.Counters.TimeWaitReuse();
        End(record);
    }

    /// <summary>Stops the timer; records are dropped (the stack is going away).</summary>
    public void Stop()
    {
        _stopped = true;
        _scheduled?.Dispose();
        _scheduled = null;
        foreach (var record in _records.Values) record.Facade?.OnTerminated(TcpError.None); // closed gracefully; only TIME-WAIT is cut short
        _records.Clear();
        _expiries.Clear();
    }

    private void End(TimeWaitRecord record)
    {
        if (!_records.Remove(record.Key)) return;
        var error = record.Tcb.Error;
        transport.Connections.Remove(record.Key, row => row with { CloseReason = ConnectionCloseReasons.From(error) });
        if (record.HoldsPort) transport.Ports.Release(record.Key.LocalPort);
        record.Facade?.OnTerminated(error);
    }

    private void Expect(TimeWaitRecord record)
    {
        long at = record.Tcb.TimeWaitAt;
        _expiries.Enqueue((record.Key, at));
        if (_expiries.Count == 1 || at < _scheduledFor) Schedule(_expiries.Peek().At);
    }

    private void Schedule(long at)
    {
        if (_stopped) return;
        _scheduled?.Dispose();
        _scheduledFor = at;
        var delay = TimeSpan.FromTicks(Math.Max(0, at - scheduler.Now.UtcTicks));
        _scheduled = scheduler.Schedule(this, delay, static (_, table) =>
        {
            table.Expire();
            return Disposable.Empty;
        });
    }

    private void Expire()
    {
        lock (gate)
        {
            if (_stopped) return;
            long limit = Math.Max(scheduler.Now.UtcTicks, _scheduledFor);
            _scheduledFor = long.MaxValue;
            _scheduled = null;
            while (_expiries.TryPeek(out var next) && next.At <= limit)
            {
                _expiries.Dequeue();
                // A record restarted since (or already ended) has a later entry of its own, or none.
                // The wake was set for this end, so it is due even if the clock reads a hair earlier.
                if (_records.TryGetValue(next.Key, out var record) && record.Tcb.TimeWaitAt == next.At)
                    Step(record, TcpEvent.Of(TcpEventKind.Timer), Math.Max(transport.Now, next.At));
            }
            if (_expiries.TryPeek(out var head)) Schedule(head.At);
        }
    }
}
