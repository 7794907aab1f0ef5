using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Xunit;
using static Reactive.Tcp.Tests.Links.PacketHelpers;

namespace Reactive.Tcp.Tests.Links;

public sealed class ImpairmentOperatorTests
{
    private static List<int> Ids(Func<IObservable<ReadOnlyMemory<byte>>, IObservable<ReadOnlyMemory<byte>>> impair, int count = 10_000)
    {
        var ids = new List<int>();
        var source = new Subject<ReadOnlyMemory<byte>>();
        using var _ = impair(source).Subscribe(p => ids.Add(IdOf(p)));
        for (var i = 0; i < count; i++)
        {
            source.OnNext(Packet(i, 8));
        }

        return ids;
    }

    [Fact]
    public void Lose_drops_about_p_and_is_deterministic_per_seed()
    {
        var first = Ids(s => s.Lose(0.2, new Random(1)));
        var again = Ids(s => s.Lose(0.2, new Random(1)));
        var other = Ids(s => s.Lose(0.2, new Random(2)));

        Assert.InRange(first.Count, 7750, 8250);
        Assert.Equal(first.Order(), first);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(10_000, Ids(s => s.Lose(0, new Random(1))).Count);
        Assert.Empty(Ids(s => s.Lose(1, new Random(1))));
    }

    [Fact]
    public void Duplicate_repeats_packets_back_to_back()
    {
        var first = Ids(s => s.Duplicate(0.1, new Random(3)));
        var again = Ids(s => s.Duplicate(0.1, new Random(3)));

        Assert.InRange(first.Count - 10_000, 800, 1200);
        Assert.Equal(Enumerable.Range(0, 10_000), first.Distinct());
        Assert.Equal(first.Order(), first); // the copy follows its original immediately
        Assert.Equal(first, again);
    }

    [Fact]
    public void Corrupt_changes_copies_only()
    {
        var originals = Enumerable.Range(0, 2000).Select(i => Packet(i, 50)).ToList();
        var source = originals.Select(p => (ReadOnlyMemory<byte>)p).ToObservable();
        var received = new List<byte[]>();

        source.Corrupt(0.5, new Random(4)).Subscribe(p => received.Add(p.ToArray()));

        var bits = received.Select((r, i) => BitDifference(r, Packet(i, 50))).ToList();
        Assert.All(bits, b => Assert.InRange(b, 0, 3));
        Assert.InRange(bits.Count(b => b > 0), 850, 1150);
        for (var i = 0; i < originals.Count; i++)
        {
            Assert.Equal(Packet(i, 50), originals[i]);
        }
    }

    [Fact]
    public void DelayJitter_releases_packets_at_the_drawn_virtual_times()
    {
        var scheduler = new TestScheduler();
        var source = scheduler.CreateHotObservable(
            ReactiveTest.OnNext(Ms(1), (ReadOnlyMemory<byte>)Packet(1)),
            ReactiveTest.OnNext(Ms(2), (ReadOnlyMemory<byte>)Packet(2)),
            ReactiveTest.OnCompleted<ReadOnlyMemory<byte>>(Ms(3)));

        var fixedDelay = scheduler.Start(
            () => source.DelayJitter(TimeSpan.FromMilliseconds(20), TimeSpan.Zero, scheduler, new Random(0)).Select(IdOf),
            created: 0, subscribed: 0, disposed: Ms(1000));

        // Completion waits for the packets still in flight.
        fixedDelay.Messages.AssertEqual(
            ReactiveTest.OnNext(Ms(21), 1),
            ReactiveTest.OnNext(Ms(22), 2),
            ReactiveTest.OnCompleted<int>(Ms(22)));
    }

    [Fact]
    public void DelayJitter_stays_within_bounds_and_repeats_for_a_seed()
    {
        List<(long At, int Id)> Run(int seed)
        {
            var scheduler = new TestScheduler();
            var source = new Subject<ReadOnlyMemory<byte>>();
            var got = new List<(long, int)>();
            source.DelayJitter(TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(5), scheduler, new Random(seed))
                .Subscribe(p => got.Add((scheduler.Clock, IdOf(p))));
            for (var i = 0; i < 300; i++)
            {
                scheduler.AdvanceTo(Ms(i));
                source.OnNext(Packet(i));
            }

            scheduler.AdvanceTo(Ms(1000));
            return got;
        }

        var first = Run(1);
        Assert.Equal(300, first.Count);
        Assert.All(first, g => Assert.InRange(g.At - Ms(g.Id), Ms(25), Ms(35)));
        Assert.Equal(first, Run(1));
        Assert.NotEqual(first, Run(2));
    }

    [Fact]
    public void Reorder_holds_back_some_packets_and_passes_the_rest_straight_through()
    {
        var scheduler = new TestScheduler();
        var source = new Subject<ReadOnlyMemory<byte>>();
        var got = new List<(long At, int Id)>();
        source.Reorder(0.2, TimeSpan.FromMilliseconds(3), scheduler, new Random(5)).Subscribe(p => got.Add((scheduler.Clock, IdOf(p))));

        var passedAtOnce = 0;
        for (var i = 0; i < 1000; i++)
        {
            scheduler.AdvanceTo(Ms(i));
            var before = got.Count;
            source.OnNext(Packet(i));
            passedAtOnce += got.Count - before;
        }

        scheduler.AdvanceTo(Ms(2000));

        Assert.Equal(Enumerable.Range(0, 1000), got.Select(g => g.Id).Order());
        var heldBack = got.Where(g => g.At == Ms(g.Id) + Ms(3)).Count();
        Assert.Equal(1000, passedAtOnce + heldBack);
        Assert.InRange(heldBack, 140, 260);
        Assert.NotEqual(Enumerable.Range(0, 1000), got.Select(g => g.Id));
    }

    [Fact]
    public void Impair_is_deterministic_per_subscription_and_forwards_errors()
    {
        var impairments = new Impairments { Loss = 0.3, Duplicate = 0.2, Seed = 77 };
        var scheduler = new TestScheduler();
        var source = new Subject<ReadOnlyMemory<byte>>();
        var impaired = source.Impair(impairments, scheduler);
        var a = new List<int>();
        var b = new List<int>();
        Exception? error = null;
        impaired.Subscribe(p => a.Add(IdOf(p)), _ => { });
        impaired.Subscribe(p => b.Add(IdOf(p)), e => error = e);

        for (var i = 0; i < 1000; i++)
        {
            source.OnNext(Packet(i));
        }

        var boom = new InvalidOperationException("boom");
        source.OnError(boom);

        Assert.Equal(a, b); // each subscription is seeded afresh
        Assert.InRange(a.Distinct().Count(), 600, 800);
        Assert.Same(boom, error);
    }

    [Fact]
    public void Impair_counts_into_the_given_counters()
    {
        var counters = new WireCounters();
        var ids = Ids(s => s.Impair(new Impairments { Loss = 0.1, Duplicate = 0.1, Seed = 1 }, new TestScheduler(), counters));

        Assert.Equal(10_000, counters.Sent);
        Assert.Equal(ids.Count, counters.Delivered);
        Assert.Equal(counters.Sent - counters.Lost + counters.Duplicated, counters.Delivered);
    }
}
