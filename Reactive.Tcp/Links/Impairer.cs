namespace Reactive.Tcp.Links;

/// <summary>
/// Applies a whole <see cref="Impairments"/> set to one stream of packets. Every random decision
/// for a packet is taken when the packet arrives, in a fixed order (loss, duplicate, then per copy
/// corrupt, delay/jitter, reorder); the outcome therefore depends only on the seed and the
/// sequence of packets, never on when the scheduler happens to run delayed work.
/// </summary>
internal sealed class Impairer
{
    private readonly Impairments _impairments;
    private readonly Random _rng;
    private readonly WireCounters? _counters;
    private readonly object _gate = new();

    public Impairer(Impairments impairments, Random rng, WireCounters? counters)
    {
        _impairments = impairments;
        _rng = rng;
        _counters = counters;
    }

    /// <summary>Decides the fate of <paramref name="packet"/> and hands each surviving copy to <paramref name="queue"/>.</summary>
    public void Process(ReadOnlyMemory<byte> packet, DeliveryQueue queue)
    {
        var imp = _impairments;
        int copies;
        ReadOnlyMemory<byte> first, second = default;
        TimeSpan firstDelay, secondDelay = default;

        // The lock only guards the random source (System.Random is not thread-safe). Enqueueing
        // happens outside it because a pass-through queue calls the subscriber right away, and
        // calling out while holding a lock invites deadlocks between two directions.
        lock (_gate)
        {
            if (ImpairmentDecisions.Chance(_rng, imp.Loss))
            {
                _counters?.AddLost();
                return;
            }

            copies = 1;
            if (ImpairmentDecisions.Chance(_rng, imp.Duplicate))
            {
                _counters?.AddDuplicated();
                copies = 2;
            }

            first = Shape(packet, imp, out firstDelay);
            if (copies == 2)
            {
                second = Shape(packet, imp, out secondDelay);
            }
        }

        queue.Enqueue(first, firstDelay);
        if (copies == 2)
        {
            queue.Enqueue(second, secondDelay);
        }
    }

    // Decisions that each copy of a duplicated packet gets on its own, as on a real path.
    private ReadOnlyMemory<byte> Shape(ReadOnlyMemory<byte> packet, Impairments imp, out TimeSpan delay)
    {
        var payload = packet;
        if (ImpairmentDecisions.Chance(_rng, imp.Corrupt))
        {
            payload = ImpairmentDecisions.CorruptCopy(packet, _rng, out var corrupted);
            if (corrupted)
            {
                _counters?.AddCorrupted();
            }
        }

        delay = ImpairmentDecisions.DrawDelay(imp.Delay, imp.Jitter, _rng);
        if (ImpairmentDecisions.Chance(_rng, imp.Reorder))
        {
            _counters?.AddReordered();
            delay += imp.ReorderDelay;
        }

        return payload;
    }
}
