namespace Reactive.Tcp.Links;

/// <summary>
/// Applies a whole <see cref="Impairments"/> set to one stream of packets. Every random decision
/// for a packet is taken when the packet arrives, in a fixed order (loss, congestion mark, duplicate, then per copy
/// corrupt, delay/jitter, reorder); the outcome therefore depends only on the seed and the
/// sequence of packets, never on when the scheduler happens to run delayed work.
/// </summary>
internal sealed class Impairer
{
    private readonly Impairments _impairments;
    private readonly Random _rng;
    private readonly WireCounters? _counters;
    private readonly object _gate = new();
    private readonly bool _deterministic;

    public Impairer(Impairments impairments, Random rng, WireCounters? counters)
    {
        _impairments = impairments;
        _rng = rng;
        _counters = counters;

        // With nothing left to chance, no decision touches the random source, so the lock that
        // guards it (taken for every packet otherwise) can be skipped.
        _deterministic = impairments is { Loss: 0, Duplicate: 0, Corrupt: 0, Reorder: 0, CongestionMark: 0 } && impairments.Jitter == TimeSpan.Zero;
    }

    /// <summary>Decides the fate of <paramref name="packet"/> and hands each surviving copy to <paramref name="queue"/>.</summary>
    public void Process(ReadOnlyMemory<byte> packet, IPacketQueue queue) => Process(WirePacket.Unowned(packet), queue);

    /// <summary>
    /// Decides the fate of <paramref name="packet"/>, taking over its reference: each surviving copy
    /// goes to <paramref name="queue"/> with a reference of its own, and a lost packet is released.
    /// </summary>
    public void Process(WirePacket packet, IPacketQueue queue)
    {
        var imp = _impairments;
        if (_deterministic)
        {
            queue.Enqueue(packet, imp.Delay);
            return;
        }

        int copies;
        WirePacket first, second = default;
        TimeSpan firstDelay, secondDelay = default;

        // The lock only guards the random source (System.Random is not thread-safe). Enqueueing
        // happens outside it because a pass-through queue calls the subscriber right away, and
        // calling out while holding a lock invites deadlocks between two directions.
        lock (_gate)
        {
            if (ImpairmentDecisions.Chance(_rng, imp.Loss))
            {
                _counters?.AddLost();
                packet.Release();
                return;
            }

            if (ImpairmentDecisions.Chance(_rng, imp.CongestionMark))
            {
                var marked = ImpairmentDecisions.MarkCe(packet.Memory);
                if (marked is not { } ce)
                {
                    _counters?.AddCongestionDropped();
                    packet.Release();
                    return;
                }
                if (!ce.Equals(packet.Memory))
                {
                    _counters?.AddMarked();
                    packet.Release(); // the marked copy is an array of its own
                    packet = WirePacket.Unowned(ce);
                }
            }

            copies = 1;
            if (ImpairmentDecisions.Chance(_rng, imp.Duplicate))
            {
                _counters?.AddDuplicated();
                copies = 2;
            }

            // The duplicate shares the buffer, so it needs its own reference before the first
            // copy can be delivered (and released) by another thread.
            var duplicate = copies == 2 ? packet.Share() : default;
            first = Shape(packet, imp, out firstDelay);
            if (copies == 2)
            {
                second = Shape(duplicate, imp, out secondDelay);
            }
        }

        queue.Enqueue(first, firstDelay);
        if (copies == 2)
        {
            queue.Enqueue(second, secondDelay);
        }
    }

    // Decisions that each copy of a duplicated packet gets on its own, as on a real path.
    private WirePacket Shape(WirePacket packet, Impairments imp, out TimeSpan delay)
    {
        var result = packet;
        if (ImpairmentDecisions.Chance(_rng, imp.Corrupt))
        {
            var payload = ImpairmentDecisions.CorruptCopy(packet.Memory, _rng, out var corrupted);
            if (corrupted)
            {
                _counters?.AddCorrupted();

                // The damaged copy is a new array of its own; this copy no longer needs the buffer.
                packet.Release();
                result = WirePacket.Unowned(payload);
            }
        }

        delay = ImpairmentDecisions.DrawDelay(imp.Delay, imp.Jitter, _rng);
        if (ImpairmentDecisions.Chance(_rng, imp.Reorder))
        {
            _counters?.AddReordered();
            delay += imp.ReorderDelay;
        }

        return result;
    }
}
