using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;

namespace Reactive.Tcp.Links;

/// <summary>
/// netem-style impairments as Rx operators over a packet stream, usable on any link's
/// <see cref="ILink.Inbound"/> (or on a stream of packets about to be sent). <see cref="VirtualWire"/>
/// takes its decisions with the same code, so a wire and <see cref="Impair"/> with the same
/// <see cref="Impairments"/> damage the same packets in the same way.
/// </summary>
/// <remarks>
/// Operators that take a <see cref="Random"/> use it for every subscription; for reproducible
/// runs subscribe once, or prefer <see cref="Impair"/>, which seeds a fresh source per subscription.
/// Packets are never mutated: corruption works on a copy.
/// </remarks>
public static class ImpairmentOperators
{
    /// <summary>Drops each packet with probability <paramref name="p"/>.</summary>
    /// <param name="source">Packets to impair.</param>
    /// <param name="p">Loss probability in [0, 1].</param>
    /// <param name="rng">Source of the random decisions.</param>
    public static IObservable<ReadOnlyMemory<byte>> Lose(this IObservable<ReadOnlyMemory<byte>> source, double p, Random rng)
    {
        Check(source, rng);
        CheckProbability(p);
        return Observable.Create<ReadOnlyMemory<byte>>(o => source.Subscribe(
            packet =>
            {
                if (!ImpairmentDecisions.Chance(rng, p))
                {
                    o.OnNext(packet);
                }
            },
            o.OnError,
            o.OnCompleted));
    }

    /// <summary>Delivers each packet twice, back to back, with probability <paramref name="p"/>.</summary>
    /// <param name="source">Packets to impair.</param>
    /// <param name="p">Duplication probability in [0, 1].</param>
    /// <param name="rng">Source of the random decisions.</param>
    public static IObservable<ReadOnlyMemory<byte>> Duplicate(this IObservable<ReadOnlyMemory<byte>> source, double p, Random rng)
    {
        Check(source, rng);
        CheckProbability(p);
        return Observable.Create<ReadOnlyMemory<byte>>(o => source.Subscribe(
            packet =>
            {
                var twice = ImpairmentDecisions.Chance(rng, p);
                o.OnNext(packet);
                if (twice)
                {
                    o.OnNext(packet);
                }
            },
            o.OnError,
            o.OnCompleted));
    }

    /// <summary>With probability <paramref name="p"/>, replaces a packet by a copy with 1–3 distinct bits flipped.</summary>
    /// <param name="source">Packets to impair.</param>
    /// <param name="p">Corruption probability in [0, 1].</param>
    /// <param name="rng">Source of the random decisions.</param>
    public static IObservable<ReadOnlyMemory<byte>> Corrupt(this IObservable<ReadOnlyMemory<byte>> source, double p, Random rng)
    {
        Check(source, rng);
        CheckProbability(p);
        return Observable.Create<ReadOnlyMemory<byte>>(o => source.Subscribe(
            packet => o.OnNext(ImpairmentDecisions.Chance(rng, p) ? ImpairmentDecisions.CorruptCopy(packet, rng, out _) : packet),
            o.OnError,
            o.OnCompleted));
    }

    /// <summary>
    /// With probability <paramref name="p"/>, treats a packet as an ECN-aware queue under congestion
    /// would: an ECN-capable IPv4 packet is replaced by a copy marked CE, a CE one passes, any other
    /// is dropped (see <see cref="Impairments.CongestionMark"/>).
    /// </summary>
    /// <param name="source">Packets to impair.</param>
    /// <param name="p">Probability of congestion for each packet, in [0, 1].</param>
    /// <param name="rng">Source of the random decisions.</param>
    public static IObservable<ReadOnlyMemory<byte>> MarkCongestion(this IObservable<ReadOnlyMemory<byte>> source, double p, Random rng)
    {
        Check(source, rng);
        CheckProbability(p);
        return Observable.Create<ReadOnlyMemory<byte>>(o => source.Subscribe(
            packet =>
            {
                if (!ImpairmentDecisions.Chance(rng, p))
                {
                    o.OnNext(packet);
                }
                else if (ImpairmentDecisions.MarkCe(packet) is { } marked)
                {
                    o.OnNext(marked);
                }
            },
            o.OnError,
            o.OnCompleted));
    }

    /// <summary>
    /// Delays each packet by <paramref name="delay"/> plus uniform jitter in [-jitter, +jitter]
    /// (never below zero). Packets come out in due-time order, so jitter can reorder them; equal due
    /// times keep their order. Completion waits for delayed packets; errors do not.
    /// </summary>
    /// <param name="source">Packets to impair.</param>
    /// <param name="delay">Fixed delay.</param>
    /// <param name="jitter">Largest deviation from <paramref name="delay"/>.</param>
    /// <param name="scheduler">Scheduler that releases delayed packets.</param>
    /// <param name="rng">Source of the random decisions.</param>
    public static IObservable<ReadOnlyMemory<byte>> DelayJitter(
        this IObservable<ReadOnlyMemory<byte>> source, TimeSpan delay, TimeSpan jitter, IScheduler scheduler, Random rng)
    {
        Check(source, rng);
        ArgumentNullException.ThrowIfNull(scheduler);
        CheckDuration(delay);
        CheckDuration(jitter);
        return Scheduled(source, scheduler, (packet, queue) =>
            queue.Enqueue(packet, ImpairmentDecisions.DrawDelay(delay, jitter, rng)));
    }

    /// <summary>
    /// Holds each packet back by <paramref name="holdBack"/> with probability <paramref name="p"/>,
    /// so that packets behind it overtake it; the others pass straight through.
    /// </summary>
    /// <param name="source">Packets to impair.</param>
    /// <param name="p">Probability that a packet is held back.</param>
    /// <param name="holdBack">How long a held-back packet waits.</param>
    /// <param name="scheduler">Scheduler that releases held-back packets.</param>
    /// <param name="rng">Source of the random decisions.</param>
    public static IObservable<ReadOnlyMemory<byte>> Reorder(
        this IObservable<ReadOnlyMemory<byte>> source, double p, TimeSpan holdBack, IScheduler scheduler, Random rng)
    {
        Check(source, rng);
        ArgumentNullException.ThrowIfNull(scheduler);
        CheckProbability(p);
        CheckDuration(holdBack);
        return Scheduled(source, scheduler, (packet, queue) =>
            queue.Enqueue(packet, ImpairmentDecisions.Chance(rng, p) ? holdBack : TimeSpan.Zero));
    }

    /// <summary>
    /// Applies a whole <see cref="Impairments"/> set: loss, congestion marking, duplication,
    /// corruption, delay with jitter and reordering, seeded with <see cref="Impairments.Seed"/> afresh for each subscription.
    /// All decisions for a packet are taken when it arrives (as <see cref="VirtualWire"/> does), so
    /// the result depends on the seed and the packets, not on when delayed work happens to run.
    /// Packets with no delay pass straight through.
    /// </summary>
    /// <param name="source">Packets to impair.</param>
    /// <param name="impairments">What to do to the packets.</param>
    /// <param name="scheduler">Scheduler that releases delayed packets.</param>
    /// <param name="counters">Optional counters to record what happened.</param>
    public static IObservable<ReadOnlyMemory<byte>> Impair(
        this IObservable<ReadOnlyMemory<byte>> source, Impairments impairments, IScheduler scheduler, WireCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(impairments);
        ArgumentNullException.ThrowIfNull(scheduler);
        impairments.Validate();
        return Observable.Create<ReadOnlyMemory<byte>>(o =>
        {
            var impairer = new Impairer(impairments, new Random(impairments.Seed), counters);
            var queue = new DeliveryQueue(scheduler, o, counters, passThroughWhenIdle: true);
            var subscription = source.Subscribe(
                packet =>
                {
                    counters?.AddSent();
                    impairer.Process(packet, queue);
                },
                queue.Fail,
                queue.Complete);
            return new CompositeDisposable(subscription, queue);
        });
    }

    /// <summary>
    /// Splits every IPv4 packet longer than <paramref name="mtu"/> into fragments, as a router
    /// before a smaller link does (RFC 791), optionally emitting them last first so the receiver
    /// must reassemble out of order. Packets with Don't Fragment set pass whole unless
    /// <paramref name="ignoreDontFragment"/> (a test that wants TCP segments fragmented too);
    /// packets that are not valid IPv4 pass unchanged.
    /// </summary>
    /// <param name="source">Packets to impair.</param>
    /// <param name="mtu">Largest fragment, at least 68 bytes.</param>
    /// <param name="reverse">Emit each packet's fragments in reverse order.</param>
    /// <param name="ignoreDontFragment">Fragment packets with Don't Fragment set as well.</param>
    public static IObservable<ReadOnlyMemory<byte>> Fragment(
        this IObservable<ReadOnlyMemory<byte>> source, int mtu, bool reverse = false, bool ignoreDontFragment = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, Wire.Ipv4Fragmenter.MinimumMtu);
        return Observable.Create<ReadOnlyMemory<byte>>(o => source.Subscribe(
            packet =>
            {
                if (packet.Length <= mtu
                    || Wire.Ipv4Codec.TryParse(packet.Span, out var ip) != Wire.DropReason.None
                    || ip.TotalLength <= mtu
                    || (ip.DontFragment && !ignoreDontFragment))
                {
                    o.OnNext(packet);
                    return;
                }
                var fragments = Wire.Ipv4Fragmenter.Fragment(packet.Span, mtu);
                if (reverse) Array.Reverse(fragments);
                foreach (var fragment in fragments) o.OnNext(fragment);
            },
            o.OnError,
            o.OnCompleted));
    }

    private static IObservable<ReadOnlyMemory<byte>> Scheduled(
        IObservable<ReadOnlyMemory<byte>> source, IScheduler scheduler, Action<ReadOnlyMemory<byte>, DeliveryQueue> onPacket) =>
        Observable.Create<ReadOnlyMemory<byte>>(o =>
        {
            var queue = new DeliveryQueue(scheduler, o, counters: null, passThroughWhenIdle: true);
            var subscription = source.Subscribe(packet => onPacket(packet, queue), queue.Fail, queue.Complete);
            return new CompositeDisposable(subscription, queue);
        });

    private static void Check(IObservable<ReadOnlyMemory<byte>> source, Random rng)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(rng);
    }

    private static void CheckProbability(double p, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(p))] string? name = null)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(name, p, "A probability must be between 0 and 1.");
        }
    }

    private static void CheckDuration(TimeSpan t, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(t))] string? name = null)
    {
        if (t < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, t, "A duration cannot be negative.");
        }
    }
}
