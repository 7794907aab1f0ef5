using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace Reactive.Tcp.Transport;

/// <summary>
/// Every connection timer of a transport behind one scheduler wake: each connection arms its
/// earliest deadline here (<see cref="Arm"/>), and the transport keeps a single work item on the
/// scheduler, for the earliest deadline of all. When it fires, each connection whose deadline has
/// come gets a <see cref="ConnectionCommand.Wake"/> input, in deadline order (ties in arming order).
/// </summary>
/// <remarks>
/// A work item per connection cost a scheduler allocation each time a connection re-armed, and on
/// a real-time scheduler often a timer of the runtime as well; connections that come and go by the
/// thousand re-arm all the time. Here re-arming a later deadline costs nothing (the earlier one is
/// kept, and the connection re-arms when it wakes, as before), and an earlier one costs a heap
/// entry; the scheduler is touched only when the earliest deadline of the whole stack moves
/// earlier. Entries left behind by a re-armed or finished connection are skipped when they come up.
/// </remarks>
internal sealed class ConnectionTimers(IScheduler scheduler, object gate)
{
    private readonly PriorityQueue<ConnectionState, (long At, long Order)> _deadlines = new();
    private readonly List<ConnectionState> _due = new();
    private long _order;
    private long _scheduledFor = long.MaxValue;
    private IDisposable? _scheduled;
    private bool _stopped;

    /// <summary>Deadlines held, stale ones included (for tests).</summary>
    public int Count
    {
        get { lock (gate) return _deadlines.Count; }
    }

    /// <summary>Makes <paramref name="state"/> wake at <paramref name="deadline"/> (it must have armed it: <see cref="ConnectionState.WakeAt"/>).</summary>
    public void Arm(ConnectionState state, long deadline)
    {
        if (_stopped) return;
        _deadlines.Enqueue(state, (deadline, _order++));
        if (deadline < _scheduledFor) Schedule(deadline);
    }

    /// <summary>Cancels the wake; later arms are ignored (the transport is stopping).</summary>
    public void Stop()
    {
        _stopped = true;
        _scheduled?.Dispose();
        _scheduled = null;
        _deadlines.Clear();
    }

    private void Schedule(long deadline)
    {
        _scheduled?.Dispose();
        _scheduledFor = deadline;
        // Relative, not absolute: Rx parks far-off absolute work on a process-wide queue that keeps
        // calling its scheduler after the stack (and the scheduler) are gone.
        var delay = TimeSpan.FromTicks(Math.Max(0, deadline - scheduler.Now.UtcTicks));
        _scheduled = scheduler.Schedule(this, delay, static (_, timers) =>
        {
            timers.Fire();
            return Disposable.Empty;
        });
    }

    private void Fire()
    {
        lock (gate)
        {
            if (_stopped) return;
            // What this wake was set for is due even if the clock reads a hair earlier.
            long limit = Math.Max(scheduler.Now.UtcTicks, _scheduledFor);
            _scheduledFor = long.MaxValue;
            _scheduled = null;
            while (_deadlines.TryPeek(out var state, out var entry) && entry.At <= limit)
            {
                _deadlines.Dequeue();
                if (state.WakeAt == entry.At && !state.Finished) _due.Add(state);
            }
            if (_deadlines.TryPeek(out _, out var next)) Schedule(next.At);
            try
            {
                foreach (var state in _due) state.Wake();
            }
            finally
            {
                _due.Clear();
            }
        }
    }
}
