using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace Reactive.Tcp.Links;

/// <summary>
/// The wire's queue when nothing is ever delayed: packets leave in the order they came, each
/// burst in one scheduled drain, with <see cref="DeliveryQueue"/>'s guarantees (serialised
/// deliveries; a drain only releases what was queued before it started; completion never overlaps
/// a delivery) at a fraction of its cost.
/// </summary>
/// <remarks>
/// Where <see cref="DeliveryQueue"/> keeps a priority queue and takes its lock for every packet in
/// and every packet out, this one takes the lock once per packet in and twice per drain: the drain
/// swaps the pending queue for an empty one and delivers the batch without the lock.
/// </remarks>
internal sealed class FifoDeliveryQueue : IPacketQueue
{
    private readonly IScheduler _scheduler;
    private readonly IObserver<ReadOnlyMemory<byte>> _sink;
    private readonly WireCounters? _counters;
    private readonly Lock _gate = new();
    private Queue<WirePacket> _pending = new();
    private Queue<WirePacket>? _spare = new();
    private bool _armed;
    private bool _draining;
    private volatile bool _terminated;
    private bool _completeForDrainer;

    public FifoDeliveryQueue(IScheduler scheduler, IObserver<ReadOnlyMemory<byte>> sink, WireCounters? counters)
    {
        _scheduler = scheduler;
        _sink = sink;
        _counters = counters;
    }

    /// <summary>Queues <paramref name="packet"/> for the next drain; <paramref name="delay"/> is always zero here.</summary>
    public void Enqueue(WirePacket packet, TimeSpan delay)
    {
        bool arm;
        lock (_gate)
        {
            if (_terminated)
            {
                packet.Release();
                return;
            }

            _pending.Enqueue(packet);
            arm = !_armed && !_draining;
            _armed |= arm;
        }

        if (arm)
        {
            Schedule();
        }
    }

    /// <summary>Drops queued packets and completes the observer now (after a delivery in progress).</summary>
    public void CompleteNow()
    {
        lock (_gate)
        {
            if (_terminated)
            {
                return;
            }

            _terminated = true;
            ReleaseAll(_pending);
            if (_draining)
            {
                _completeForDrainer = true;
                return;
            }
        }

        _sink.OnCompleted();
    }

    private void Schedule() => _scheduler.Schedule(this, static (_, queue) => queue.Drain());

    private IDisposable Drain()
    {
        Queue<WirePacket> batch;
        lock (_gate)
        {
            _armed = false;
            if (_terminated || _draining || _pending.Count == 0)
            {
                return Disposable.Empty;
            }

            _draining = true;
            batch = _pending;
            _pending = _spare ?? new Queue<WirePacket>();
            _spare = null;
        }

        try
        {
            while (!_terminated && batch.TryDequeue(out var packet))
            {
                try
                {
                    _counters?.AddDelivered();
                    _sink.OnNext(packet.Memory);
                }
                finally
                {
                    // Inbound memory is only valid during OnNext, so nobody reads it after this.
                    packet.Release();
                }
            }
        }
        finally
        {
            ReleaseAll(batch);
            FinishDraining(batch);
        }

        return Disposable.Empty;
    }

    private void FinishDraining(Queue<WirePacket> emptied)
    {
        bool arm = false, complete = false;
        lock (_gate)
        {
            _draining = false;
            _spare = emptied;
            if (_completeForDrainer)
            {
                _completeForDrainer = false;
                complete = true;
            }
            else if (!_terminated && _pending.Count > 0 && !_armed)
            {
                _armed = arm = true;
            }
        }

        if (arm)
        {
            Schedule();
        }

        if (complete)
        {
            _sink.OnCompleted();
        }
    }

    private static void ReleaseAll(Queue<WirePacket> queue)
    {
        while (queue.TryDequeue(out var packet))
        {
            packet.Release();
        }
    }
}
