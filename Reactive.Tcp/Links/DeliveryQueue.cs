using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace Reactive.Tcp.Links;

/// <summary>
/// Releases packets to an observer at their due times on an <see cref="IScheduler"/>.
/// </summary>
/// <remarks>
/// <para>Packets are kept in one priority queue ordered by (due time, arrival number), so equal due
/// times come out first-in first-out. Only one drain is ever armed, for the earliest due time, so
/// a burst of N packets costs one scheduled item rather than N; an earlier packet re-arms it.</para>
/// <para>Deliveries are serialised (at most one thread calls the observer at a time), as the Rx
/// grammar requires, and a drain only releases packets that were queued before it started: a
/// subscriber that sends in the same direction while handling a packet waits for the next drain
/// instead of being re-entered or starving the scheduler.</para>
/// <para>With <c>passThroughWhenIdle</c>, a zero-delay packet that nothing is queued ahead of is
/// delivered on the caller's thread (what the stand-alone operators want); without it every packet
/// goes through the scheduler (what a wire needs so that a stack is never re-entered from Send).</para>
/// </remarks>
internal sealed class DeliveryQueue : IPacketQueue, IDisposable
{
    private readonly IScheduler _scheduler;
    private readonly IObserver<ReadOnlyMemory<byte>> _sink;
    private readonly WireCounters? _counters;
    private readonly bool _passThroughWhenIdle;
    private readonly object _gate = new();
    private readonly PriorityQueue<WirePacket, DueKey> _pending = new(DueKey.Comparer);

    private long _nextSeq;
    private long _generations;
    private long _armedGeneration; // 0 when no drain is armed
    private long _armedDueTicks;
    private IDisposable? _timer;
    private bool _draining;
    private bool _completing;
    private bool _terminated;
    private Terminal _terminalForDrainer;
    private Exception? _error;

    public DeliveryQueue(IScheduler scheduler, IObserver<ReadOnlyMemory<byte>> sink, WireCounters? counters, bool passThroughWhenIdle)
    {
        _scheduler = scheduler;
        _sink = sink;
        _counters = counters;
        _passThroughWhenIdle = passThroughWhenIdle;
    }

    private enum Terminal
    {
        None,
        Completed,
        Error,
    }

    /// <summary>Queues <paramref name="packet"/> for delivery <paramref name="delay"/> from now.</summary>
    public void Enqueue(ReadOnlyMemory<byte> packet, TimeSpan delay) => Enqueue(WirePacket.Unowned(packet), delay);

    /// <summary>Queues <paramref name="packet"/> for delivery <paramref name="delay"/> from now; its reference is released once delivered or dropped.</summary>
    public void Enqueue(WirePacket packet, TimeSpan delay)
    {
        var now = _scheduler.Now.UtcTicks;
        var due = delay <= TimeSpan.Zero ? now : SaturatingAdd(now, delay.Ticks);
        long arm = 0;
        var passThrough = false;

        lock (_gate)
        {
            if (_terminated || _completing)
            {
                packet.Release();
                return;
            }

            if (_passThroughWhenIdle && due <= now && !_draining && (_pending.Count == 0 || HeadDueLocked() > now))
            {
                // Claim the observer exactly as a drain would, so deliveries stay serialised.
                _draining = true;
                passThrough = true;
            }
            else
            {
                _pending.Enqueue(packet, new DueKey(due, _nextSeq++));
                if (!_draining && (_armedGeneration == 0 || due < _armedDueTicks))
                {
                    arm = ArmLocked(due);
                }
            }
        }

        if (passThrough)
        {
            try
            {
                Deliver(packet);
            }
            finally
            {
                FinishDelivering();
            }
        }
        else if (arm != 0)
        {
            Schedule(arm, due);
        }
    }

    /// <summary>Completes the observer once every queued packet has been delivered.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_terminated || _completing)
            {
                return;
            }

            _completing = true;
            if (_draining || _pending.Count > 0)
            {
                return; // whoever delivers the last packet completes.
            }

            TerminateLocked();
        }

        _sink.OnCompleted();
    }

    /// <summary>Drops queued packets and fails the observer (as Rx's Delay does, errors do not wait).</summary>
    public void Fail(Exception error) => Stop(Terminal.Error, error);

    /// <summary>Drops queued packets and completes the observer now.</summary>
    public void CompleteNow() => Stop(Terminal.Completed, null);

    /// <summary>Drops queued packets without notifying the observer.</summary>
    public void Dispose() => Stop(Terminal.None, null);

    private void Stop(Terminal terminal, Exception? error)
    {
        lock (_gate)
        {
            if (_terminated)
            {
                return;
            }

            TerminateLocked();
            if (_draining)
            {
                // The thread inside the observer sends the notification when it comes back, so
                // OnCompleted/OnError never overlaps an OnNext.
                _terminalForDrainer = terminal;
                _error = error;
                return;
            }
        }

        Notify(terminal, error);
    }

    private void TerminateLocked()
    {
        _terminated = true;
        while (_pending.TryDequeue(out var dropped, out _))
        {
            dropped.Release();
        }

        _armedGeneration = 0;
        _timer?.Dispose();
        _timer = null;
    }

    private void Notify(Terminal terminal, Exception? error)
    {
        switch (terminal)
        {
            case Terminal.Completed:
                _sink.OnCompleted();
                break;
            case Terminal.Error:
                _sink.OnError(error!);
                break;
        }
    }

    private long HeadDueLocked() => _pending.TryPeek(out _, out var key) ? key.DueTicks : long.MaxValue;

    private long ArmLocked(long dueTicks)
    {
        _timer?.Dispose();
        _timer = null;
        _armedGeneration = ++_generations;
        _armedDueTicks = dueTicks;
        return _armedGeneration;
    }

    // Called outside the lock: a scheduler that runs work inline must not find us mid-update.
    private void Schedule(long generation, long dueTicks)
    {
        var state = (Queue: this, Generation: generation);
        var timer = dueTicks <= _scheduler.Now.UtcTicks
            ? _scheduler.Schedule(state, static (_, s) => s.Queue.Drain(s.Generation))
            : _scheduler.Schedule(state, new DateTimeOffset(dueTicks, TimeSpan.Zero), static (_, s) => s.Queue.Drain(s.Generation));

        lock (_gate)
        {
            if (_armedGeneration == generation)
            {
                _timer = timer;
                return;
            }
        }

        // Already ran, or superseded by an earlier drain: either way it has nothing left to do.
        timer.Dispose();
    }

    private IDisposable Drain(long generation)
    {
        long limit;
        lock (_gate)
        {
            if (generation != _armedGeneration || _terminated)
            {
                return Disposable.Empty;
            }

            _armedGeneration = 0;
            _timer = null;
            if (_draining)
            {
                return Disposable.Empty; // a pass-through delivery is running; it re-arms when done.
            }

            _draining = true;
            limit = _nextSeq;
        }

        var now = _scheduler.Now.UtcTicks;
        try
        {
            while (true)
            {
                WirePacket packet;
                lock (_gate)
                {
                    if (_terminated
                        || !_pending.TryPeek(out _, out var key)
                        || key.DueTicks > now
                        || key.Seq >= limit)
                    {
                        break;
                    }

                    packet = _pending.Dequeue();
                }

                Deliver(packet);
            }
        }
        finally
        {
            FinishDelivering();
        }

        return Disposable.Empty;
    }

    // The receiver may only read the bytes during OnNext (ILink's contract), so the reference
    // can go back as soon as it returns, or throws.
    private void Deliver(WirePacket packet)
    {
        try
        {
            _counters?.AddDelivered();
            _sink.OnNext(packet.Memory);
        }
        finally
        {
            packet.Release();
        }
    }

    private void FinishDelivering()
    {
        var terminal = Terminal.None;
        Exception? error = null;
        long arm = 0, due = 0;

        lock (_gate)
        {
            _draining = false;
            if (_terminated)
            {
                terminal = _terminalForDrainer;
                error = _error;
                _terminalForDrainer = Terminal.None;
                _error = null;
            }
            else if (_pending.Count > 0)
            {
                due = HeadDueLocked();
                if (_armedGeneration == 0 || due < _armedDueTicks)
                {
                    arm = ArmLocked(due);
                }
            }
            else if (_completing)
            {
                TerminateLocked();
                terminal = Terminal.Completed;
            }
        }

        if (arm != 0)
        {
            Schedule(arm, due);
        }

        Notify(terminal, error);
    }

    private static long SaturatingAdd(long a, long b)
    {
        var max = DateTimeOffset.MaxValue.UtcTicks;
        return b >= max - a ? max : a + b;
    }

    private readonly record struct DueKey(long DueTicks, long Seq)
    {
        public static readonly IComparer<DueKey> Comparer = Comparer<DueKey>.Create(static (x, y) =>
        {
            var c = x.DueTicks.CompareTo(y.DueTicks);
            return c != 0 ? c : x.Seq.CompareTo(y.Seq);
        });
    }
}
