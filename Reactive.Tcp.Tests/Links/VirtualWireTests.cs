using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Xunit;
using static Reactive.Tcp.Tests.Links.PacketHelpers;

namespace Reactive.Tcp.Tests.Links;

public sealed class VirtualWireTests
{
    private sealed record Arrival(long At, int Id, byte[] Bytes);

    private static List<Arrival> Record(TestScheduler scheduler, ILink end)
    {
        var arrivals = new List<Arrival>();
        end.Inbound.Subscribe(p => arrivals.Add(new Arrival(scheduler.Clock, IdOf(p), p.ToArray())));
        return arrivals;
    }

    [Fact]
    public void Packets_cross_both_ways_unchanged_and_in_order()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler);
        var atB = Record(scheduler, wire.EndB);
        var atA = Record(scheduler, wire.EndA);
        var fromA = Enumerable.Range(0, 200).Select(i => Packet(i, 20 + i)).ToList();
        var fromB = Enumerable.Range(1000, 200).Select(i => Packet(i, 1500)).ToList();

        for (var i = 0; i < 200; i++)
        {
            wire.EndA.Send(fromA[i]);
            wire.EndB.Send(fromB[i]);
        }

        scheduler.AdvanceBy(1);

        Assert.Equal(fromA.Select(p => p), atB.Select(a => a.Bytes));
        Assert.Equal(fromB.Select(p => p), atA.Select(a => a.Bytes));
        Assert.Equal(200, wire.AToBCounters.Sent);
        Assert.Equal(200, wire.AToBCounters.Delivered);
        Assert.Equal(200, wire.BToACounters.Delivered);
        Assert.Equal(0, wire.AToBCounters.Lost + wire.AToBCounters.Duplicated + wire.AToBCounters.Corrupted + wire.AToBCounters.Reordered);
        Assert.Equal(1500, wire.EndA.Mtu);
    }

    [Fact]
    public void Each_end_receives_on_its_own_scheduler()
    {
        var schedulerA = new TestScheduler();
        var schedulerB = new TestScheduler();
        using var wire = new VirtualWire(schedulerA, schedulerB);
        var atB = Record(schedulerB, wire.EndB);
        var atA = Record(schedulerA, wire.EndA);

        wire.EndA.Send(Packet(1));
        wire.EndB.Send(Packet(2));

        // Running A's scheduler delivers only what B sent, and the other way round.
        schedulerA.AdvanceBy(1);
        Assert.Equal([2], atA.Select(a => a.Id));
        Assert.Empty(atB);
        schedulerB.AdvanceBy(1);
        Assert.Equal([1], atB.Select(a => a.Id));
        Assert.Single(atA);
    }

    [Fact]
    public void Send_never_delivers_synchronously()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler);
        var atB = Record(scheduler, wire.EndB);

        wire.EndA.Send(Packet(1));

        Assert.Empty(atB);
        scheduler.AdvanceBy(1);
        Assert.Single(atB);
    }

    [Fact]
    public void A_stack_that_replies_while_handling_a_packet_is_not_reentered()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler);
        var inHandlerA = false;
        var inHandlerB = false;
        var reentered = false;
        var exchanges = 0;
        long lastExchangeAt = 0;

        // Ping-pong: each end answers every packet at once, from inside its handler.
        wire.EndA.Inbound.Subscribe(p =>
        {
            reentered |= inHandlerA || inHandlerB;
            inHandlerA = true;
            exchanges++;
            lastExchangeAt = scheduler.Clock;
            if (exchanges < 20)
            {
                wire.EndA.Send(Packet(IdOf(p) + 1));
            }

            inHandlerA = false;
        });
        wire.EndB.Inbound.Subscribe(p =>
        {
            reentered |= inHandlerA || inHandlerB;
            inHandlerB = true;
            exchanges++;
            lastExchangeAt = scheduler.Clock;
            wire.EndB.Send(Packet(IdOf(p) + 1));
            inHandlerB = false;
        });

        wire.EndA.Send(Packet(0));
        scheduler.AdvanceBy(100);

        Assert.False(reentered);
        Assert.Equal(20, exchanges);
        Assert.Equal(20, lastExchangeAt); // every hop went through the scheduler: one tick each
        Assert.Equal(10, wire.AToBCounters.Delivered);
        Assert.Equal(10, wire.BToACounters.Delivered);
    }

    [Fact]
    public void A_burst_costs_one_scheduled_drain()
    {
        var test = new TestScheduler();
        var counting = new CountingScheduler(test);
        using var wire = new VirtualWire(counting);
        var received = 0;
        wire.EndB.Inbound.Subscribe(_ => received++);

        for (var i = 0; i < 1000; i++)
        {
            wire.EndA.Send(Packet(i));
        }

        Assert.Equal(1, counting.Scheduled);
        test.AdvanceBy(1);
        Assert.Equal(1000, received);
        Assert.Equal(1, counting.Scheduled);
    }

    [Fact]
    public void Equal_due_times_are_delivered_first_in_first_out()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { Delay = TimeSpan.FromMilliseconds(10) } });
        var atB = Record(scheduler, wire.EndB);

        scheduler.AdvanceTo(Ms(1));
        for (var i = 0; i < 50; i++)
        {
            wire.EndA.Send(Packet(i));
        }

        scheduler.AdvanceTo(Ms(2));
        for (var i = 50; i < 100; i++)
        {
            wire.EndA.Send(Packet(i));
        }

        scheduler.AdvanceTo(Ms(100));
        Assert.Equal(Enumerable.Range(0, 100), atB.Select(a => a.Id));
        Assert.All(atB.Take(50), a => Assert.Equal(Ms(11), a.At));
        Assert.All(atB.Skip(50), a => Assert.Equal(Ms(12), a.At));
    }

    [Fact]
    public void Delay_delivers_at_the_expected_virtual_time_in_each_direction()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions
        {
            AToB = new Impairments { Delay = TimeSpan.FromMilliseconds(50) },
            BToA = new Impairments { Delay = TimeSpan.FromMilliseconds(7) },
        });
        var atB = Record(scheduler, wire.EndB);
        var atA = Record(scheduler, wire.EndA);

        scheduler.AdvanceTo(Ms(3));
        wire.EndA.Send(Packet(1));
        wire.EndB.Send(Packet(2));

        scheduler.AdvanceTo(Ms(53) - 1);
        Assert.Empty(atB);
        Assert.Equal(Ms(10), Assert.Single(atA).At);

        scheduler.AdvanceTo(Ms(53));
        Assert.Equal(Ms(53), Assert.Single(atB).At);
    }

    [Fact]
    public void Jitter_spreads_arrivals_around_the_delay_and_they_come_out_in_time_order()
    {
        var scheduler = new TestScheduler();
        var delay = TimeSpan.FromMilliseconds(50);
        var jitter = TimeSpan.FromMilliseconds(10);
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { Delay = delay, Jitter = jitter, Seed = 3 } });
        var atB = Record(scheduler, wire.EndB);
        var sentAt = new Dictionary<int, long>();

        for (var i = 0; i < 500; i++)
        {
            scheduler.AdvanceTo(Ms(i));
            sentAt[i] = scheduler.Clock;
            wire.EndA.Send(Packet(i));
        }

        scheduler.AdvanceTo(Ms(1000));

        Assert.Equal(500, atB.Count);
        var latencies = atB.Select(a => a.At - sentAt[a.Id]).ToList();
        Assert.All(latencies, l => Assert.InRange(l, Ms(40), Ms(60)));
        Assert.True(latencies.Distinct().Count() > 100, "jitter should vary the latency");
        Assert.True(latencies.Min() < Ms(42) && latencies.Max() > Ms(58), "jitter should cover its range");
        Assert.Equal(atB.Select(a => a.At).Order(), atB.Select(a => a.At));
        Assert.NotEqual(Enumerable.Range(0, 500), atB.Select(a => a.Id)); // 1 ms apart, ±10 ms: some overtake
    }

    private static (List<int> Ids, WireCounters Counters) RunLossy(Impairments impairments, int count = 10_000)
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = impairments });
        var ids = new List<int>();
        wire.EndB.Inbound.Subscribe(p => ids.Add(IdOf(p)));
        for (var i = 0; i < count; i++)
        {
            wire.EndA.Send(Packet(i));
        }

        scheduler.AdvanceBy(Ms(1000));
        return (ids, wire.AToBCounters);
    }

    [Fact]
    public void Loss_is_near_its_probability_and_exactly_reproducible_per_seed()
    {
        var (first, counters) = RunLossy(new Impairments { Loss = 0.2, Seed = 42 });
        var (again, _) = RunLossy(new Impairments { Loss = 0.2, Seed = 42 });
        var (other, _) = RunLossy(new Impairments { Loss = 0.2, Seed = 43 });

        // Binomial(10000, 0.2): sd = 40, so ±250 is > 6 sd.
        Assert.InRange(counters.Lost, 1750, 2250);
        Assert.Equal(10_000 - counters.Lost, first.Count);
        Assert.Equal(counters.Delivered, first.Count);
        Assert.Equal(first.Order(), first); // loss alone never reorders
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Duplication_is_observable_and_reproducible()
    {
        var (first, counters) = RunLossy(new Impairments { Duplicate = 0.1, Seed = 7 });
        var (again, _) = RunLossy(new Impairments { Duplicate = 0.1, Seed = 7 });
        var (other, _) = RunLossy(new Impairments { Duplicate = 0.1, Seed = 8 });

        Assert.InRange(counters.Duplicated, 800, 1200);
        Assert.Equal(10_000 + counters.Duplicated, first.Count);
        Assert.Equal(Enumerable.Range(0, 10_000), first.Distinct());
        var twice = first.GroupBy(id => id).Count(g => g.Count() == 2);
        Assert.Equal(counters.Duplicated, twice);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Reordering_lets_later_packets_overtake_and_is_reproducible()
    {
        List<int> Run(int seed, out WireCounters counters)
        {
            var scheduler = new TestScheduler();
            using var wire = new VirtualWire(scheduler, new VirtualWireOptions
            {
                AToB = new Impairments { Reorder = 0.1, ReorderDelay = TimeSpan.FromMilliseconds(5), Delay = TimeSpan.FromMilliseconds(2), Seed = seed },
            });
            var ids = new List<int>();
            wire.EndB.Inbound.Subscribe(p => ids.Add(IdOf(p)));
            for (var i = 0; i < 2000; i++)
            {
                scheduler.AdvanceTo(Ms(i));
                wire.EndA.Send(Packet(i));
            }

            scheduler.AdvanceTo(Ms(3000));
            counters = wire.AToBCounters;
            return ids;
        }

        var first = Run(11, out var counters);
        var again = Run(11, out _);
        var other = Run(12, out _);

        Assert.InRange(counters.Reordered, 140, 260);
        Assert.Equal(Enumerable.Range(0, 2000), first.Order()); // nothing lost, nothing doubled
        // A held-back packet is 5 ms late with packets 1 ms apart: about 5 others overtake it.
        var inversions = 0;
        for (var i = 1; i < first.Count; i++)
        {
            if (first[i] < first[i - 1])
            {
                inversions++;
            }
        }

        Assert.InRange(inversions, counters.Reordered / 2, counters.Reordered);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Corruption_flips_one_to_three_bits_in_a_copy_and_never_touches_the_senders_buffer()
    {
        List<(int Id, byte[] Bytes)> Run(int seed, out WireCounters counters, out List<byte[]> sent)
        {
            var scheduler = new TestScheduler();
            using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { Corrupt = 0.1, Seed = seed } });
            var got = new List<(int, byte[])>();
            var index = 0;
            wire.EndB.Inbound.Subscribe(p => got.Add((index++, p.ToArray())));
            sent = Enumerable.Range(0, 5000).Select(i => Packet(i, 100)).ToList();
            foreach (var p in sent)
            {
                wire.EndA.Send(p);
            }

            scheduler.AdvanceBy(1);
            counters = wire.AToBCounters;
            return got;
        }

        var first = Run(5, out var counters, out var sentBuffers);
        var again = Run(5, out _, out _);
        var other = Run(6, out _, out _);

        // The sender's arrays are exactly as built.
        for (var i = 0; i < sentBuffers.Count; i++)
        {
            Assert.Equal(Packet(i, 100), sentBuffers[i]);
        }

        Assert.Equal(5000, first.Count);
        var damaged = first.Select(g => BitDifference(g.Bytes, sentBuffers[g.Id])).ToList();
        Assert.All(damaged, bits => Assert.InRange(bits, 0, 3));
        Assert.Equal(counters.Corrupted, damaged.Count(b => b > 0));
        Assert.InRange(counters.Corrupted, 400, 600);
        Assert.Contains(1, damaged);
        Assert.Contains(3, damaged);
        Assert.Equal(first.Select(g => g.Bytes), again.Select(g => g.Bytes));
        Assert.NotEqual(first.Select(g => g.Bytes), other.Select(g => g.Bytes));
    }

    [Fact]
    public void Oversize_packets_are_dropped_and_counted()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { Mtu = 100 });
        var atB = Record(scheduler, wire.EndB);

        wire.EndA.Send(Packet(1, 100));
        wire.EndA.Send(Packet(2, 101));
        wire.EndA.Send(Packet(3, 99));
        scheduler.AdvanceBy(1);

        Assert.Equal(100, wire.EndB.Mtu);
        Assert.Equal([1, 3], atB.Select(a => a.Id));
        Assert.Equal(3, wire.AToBCounters.Sent);
        Assert.Equal(1, wire.AToBCounters.Oversize);
        Assert.Equal(2, wire.AToBCounters.Delivered);
    }

    [Fact]
    public void Counters_balance_under_mixed_impairments()
    {
        var (ids, c) = RunLossy(new Impairments { Loss = 0.1, Duplicate = 0.05, Corrupt = 0.05, Reorder = 0.05, Delay = TimeSpan.FromMilliseconds(1), Jitter = TimeSpan.FromMilliseconds(1), Seed = 9 });

        Assert.Equal(10_000, c.Sent);
        Assert.Equal(c.Sent - c.Lost + c.Duplicated, c.Delivered);
        Assert.Equal(c.Delivered, ids.Count);
        Assert.True(c.Lost > 0 && c.Duplicated > 0 && c.Corrupted > 0 && c.Reordered > 0, c.ToString());
    }

    [Fact]
    public void Every_subscriber_sees_every_packet()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler);
        var first = Record(scheduler, wire.EndB);
        var second = Record(scheduler, wire.EndB);

        wire.EndA.Send(Packet(1));
        wire.EndA.Send(Packet(2));
        scheduler.AdvanceBy(1);

        Assert.Equal([1, 2], first.Select(a => a.Id));
        Assert.Equal([1, 2], second.Select(a => a.Id));
    }

    [Fact]
    public void Dispose_drops_packets_in_flight_ignores_sends_and_completes_inbound()
    {
        var scheduler = new TestScheduler();
        var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { Delay = TimeSpan.FromMilliseconds(5) } });
        var received = 0;
        var completedA = false;
        var completedB = false;
        wire.EndB.Inbound.Subscribe(_ => received++, () => completedB = true);
        wire.EndA.Inbound.Subscribe(_ => { }, () => completedA = true);

        wire.EndA.Send(Packet(1));
        wire.EndB.Dispose(); // either end cuts the whole wire
        wire.EndA.Send(Packet(2));
        scheduler.AdvanceTo(Ms(100));

        Assert.True(completedA);
        Assert.True(completedB);
        Assert.Equal(0, received);
        Assert.Equal(1, wire.AToBCounters.Sent);

        var late = false;
        wire.EndB.Inbound.Subscribe(_ => { }, () => late = true);
        Assert.True(late);
        wire.Dispose();
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        var scheduler = new TestScheduler();
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { Loss = 1.5 } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtualWire(scheduler, new VirtualWireOptions { BToA = new Impairments { Delay = TimeSpan.FromTicks(-1) } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtualWire(scheduler, new VirtualWireOptions { Mtu = 0 }));
    }

    [Fact]
    public void The_wire_takes_the_same_decisions_as_the_Impair_operator()
    {
        var impairments = new Impairments { Loss = 0.1, Duplicate = 0.1, Corrupt = 0.1, Reorder = 0.1, Delay = TimeSpan.FromMilliseconds(3), Jitter = TimeSpan.FromMilliseconds(2), Seed = 2024 };

        var wireScheduler = new TestScheduler();
        using var wire = new VirtualWire(wireScheduler, new VirtualWireOptions { AToB = impairments });
        var viaWire = Record(wireScheduler, wire.EndB);

        var opScheduler = new TestScheduler();
        var source = new System.Reactive.Subjects.Subject<ReadOnlyMemory<byte>>();
        var viaOperator = new List<Arrival>();
        source.Impair(impairments, opScheduler).Subscribe(p => viaOperator.Add(new Arrival(opScheduler.Clock, IdOf(p), p.ToArray())));

        for (var i = 0; i < 3000; i++)
        {
            wireScheduler.AdvanceTo(Ms(i));
            opScheduler.AdvanceTo(Ms(i));
            wire.EndA.Send(Packet(i));
            source.OnNext(Packet(i));
        }

        wireScheduler.AdvanceTo(Ms(4000));
        opScheduler.AdvanceTo(Ms(4000));

        Assert.Equal(viaOperator.Select(a => a.Bytes), viaWire.Select(a => a.Bytes));
        Assert.Equal(viaOperator.Select(a => a.At), viaWire.Select(a => a.At));
    }

    [Fact]
    public void Disposing_from_inside_a_handler_completes_after_that_delivery_returns()
    {
        var scheduler = new TestScheduler();
        var wire = new VirtualWire(scheduler);
        var events = new List<string>();
        wire.EndB.Inbound.Subscribe(
            p =>
            {
                events.Add($"next {IdOf(p)}");
                wire.Dispose();
                events.Add("disposed");
            },
            () => events.Add("completed"));

        wire.EndA.Send(Packet(1));
        wire.EndA.Send(Packet(2));
        wire.EndA.Send(Packet(3));
        scheduler.AdvanceBy(10);

        Assert.Equal(["next 1", "disposed", "completed"], events);
    }

    [Fact]
    public void Delivers_everything_serially_on_a_real_multithreaded_scheduler()
    {
        using var wire = new VirtualWire(
            System.Reactive.Concurrency.TaskPoolScheduler.Default,
            new VirtualWireOptions { AToB = new Impairments { Jitter = TimeSpan.FromMilliseconds(2), Duplicate = 0.1, Seed = 1 } });
        var inside = 0;
        var overlapped = false;
        var received = 0L;
        wire.EndB.Inbound.Subscribe(_ =>
        {
            overlapped |= Interlocked.Increment(ref inside) != 1;
            Interlocked.Increment(ref received);
            Interlocked.Decrement(ref inside);
        });

        Parallel.For(0, 4, t =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                wire.EndA.Send(Packet(t * 10_000 + i, 20));
            }
        });

        SpinWait.SpinUntil(() => Interlocked.Read(ref received) == 40_000 + wire.AToBCounters.Duplicated, TimeSpan.FromSeconds(20));
        Assert.Equal(40_000 + wire.AToBCounters.Duplicated, Interlocked.Read(ref received));
        Assert.Equal(received, wire.AToBCounters.Delivered);
        Assert.False(overlapped);
    }
}
