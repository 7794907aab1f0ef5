using System.Buffers.Binary;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Links.PacketHelpers;

namespace Reactive.Tcp.Tests.Links;

public sealed class VirtualSwitchTests
{
    private sealed record Arrival(long At, int Id, MacAddress From, byte[] Bytes);

    private static List<Arrival> Record(TestScheduler scheduler, ILink port)
    {
        var arrivals = new List<Arrival>();
        port.Inbound.Subscribe(f => arrivals.Add(new Arrival(scheduler.Clock, IdOf(f[EthernetCodec.HeaderLength..]), MacAddress.Read(f.Span[6..]), f.ToArray())));
        return arrivals;
    }

    /// <summary>An Ethernet frame from <paramref name="from"/> to <paramref name="to"/> whose payload starts with <paramref name="id"/>.</summary>
    private static byte[] Frame(MacAddress to, MacAddress from, int id, int payload = 50) =>
        EthernetCodec.BuildFrame(new EthernetHeader(to, from, EtherType.IPv4), Packet(id, payload));

    [Fact]
    public void Broadcast_reaches_every_other_port_but_not_the_sender()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var a = segment.AddPort();
        var b = segment.AddPort();
        var c = segment.AddPort();
        var (atA, atB, atC) = (Record(scheduler, a), Record(scheduler, b), Record(scheduler, c));

        a.Send(Frame(MacAddress.Broadcast, a.Address, 1));
        Assert.Empty(atB); // only queued: delivery goes through the scheduler
        scheduler.AdvanceBy(1);

        Assert.Empty(atA);
        Assert.Equal([1], atB.Select(x => x.Id));
        Assert.Equal([1], atC.Select(x => x.Id));
        Assert.Equal(1, a.Counters.Flooded);
        Assert.Equal(2, b.Counters.FromSwitch.Delivered + c.Counters.FromSwitch.Delivered);
    }

    [Fact]
    public void Unknown_unicast_floods_until_the_destination_is_heard_then_goes_to_its_port_alone()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var a = segment.AddPort();
        var b = segment.AddPort();
        var c = segment.AddPort();
        var (atA, atB, atC) = (Record(scheduler, a), Record(scheduler, b), Record(scheduler, c));

        a.Send(Frame(b.Address, a.Address, 1)); // b not yet heard from: flooded
        scheduler.AdvanceBy(1);
        Assert.Equal([1], atB.Select(x => x.Id));
        Assert.Equal([1], atC.Select(x => x.Id));

        b.Send(Frame(a.Address, b.Address, 2)); // a was learned from frame 1: forwarded
        scheduler.AdvanceBy(1);
        Assert.Equal([2], atA.Select(x => x.Id));
        Assert.Equal([1], atC.Select(x => x.Id));

        a.Send(Frame(b.Address, a.Address, 3)); // b now learned too
        scheduler.AdvanceBy(1);
        Assert.Equal([1, 3], atB.Select(x => x.Id));
        Assert.Equal([1], atC.Select(x => x.Id));

        Assert.Equal((1, 1), (a.Counters.Flooded, a.Counters.Forwarded));
        Assert.Equal((0, 1), (b.Counters.Flooded, b.Counters.Forwarded));
        Assert.True(segment.TryGetPort(a.Address, out var learned) && learned == a);
        Assert.Equal(2, segment.MacTableCount);
    }

    [Fact]
    public void A_frame_for_a_station_on_the_same_port_is_filtered()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var a = segment.AddPort();
        var b = segment.AddPort();
        var atB = Record(scheduler, b);
        var second = MacAddress.Parse("02:00:00:00:00:aa"); // a second station behind port a
        a.Send(Frame(MacAddress.Broadcast, second, 1));
        a.Send(Frame(second, a.Address, 2));
        scheduler.AdvanceBy(1);
        Assert.Equal([1], atB.Select(x => x.Id));
        Assert.Equal(1, a.Counters.Filtered);
    }

    [Fact]
    public void Learned_addresses_age_out_and_a_station_that_moves_is_learned_on_its_new_port()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler, new VirtualSwitchOptions { AgeingTime = TimeSpan.FromSeconds(10) });
        var a = segment.AddPort();
        var b = segment.AddPort();
        var c = segment.AddPort();
        var (atB, atC) = (Record(scheduler, b), Record(scheduler, c));

        b.Send(Frame(MacAddress.Broadcast, b.Address, 1));
        scheduler.AdvanceBy(1);
        a.Send(Frame(b.Address, a.Address, 2));
        scheduler.AdvanceBy(1);
        Assert.DoesNotContain(atC, x => x.Id == 2);

        scheduler.AdvanceBy(TimeSpan.FromSeconds(10).Ticks);
        Assert.False(segment.TryGetPort(b.Address, out _));
        a.Send(Frame(b.Address, a.Address, 3)); // aged out: flooded again
        scheduler.AdvanceBy(1);
        Assert.Contains(atC, x => x.Id == 3);

        c.Send(Frame(MacAddress.Broadcast, b.Address, 4)); // b's address now behind port c
        scheduler.AdvanceBy(1);
        a.Send(Frame(b.Address, a.Address, 5));
        scheduler.AdvanceBy(1);
        Assert.Contains(atC, x => x.Id == 5);
        Assert.DoesNotContain(atB, x => x.Id == 5);
        Assert.True(segment.TryGetPort(b.Address, out var moved) && moved == c);
    }

    [Fact]
    public void The_two_cables_delays_add_up_in_virtual_time()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var a = segment.AddPort(new SwitchPortOptions { ToSwitch = new Impairments { Delay = TimeSpan.FromMilliseconds(10) } });
        var b = segment.AddPort(new SwitchPortOptions { FromSwitch = new Impairments { Delay = TimeSpan.FromMilliseconds(5) } });
        var c = segment.AddPort();
        var (atB, atC) = (Record(scheduler, b), Record(scheduler, c));

        a.Send(Frame(MacAddress.Broadcast, a.Address, 1));
        scheduler.AdvanceBy(Ms(100));
        Assert.Equal(Ms(15), Assert.Single(atB).At);
        Assert.Equal(Ms(10), Assert.Single(atC).At);
    }

    [Fact]
    public void Loss_into_the_switch_hits_every_port_and_loss_out_of_it_only_its_own()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var lossyIn = segment.AddPort(new SwitchPortOptions { ToSwitch = new Impairments { Loss = 1 } });
        var lossyOut = segment.AddPort(new SwitchPortOptions { FromSwitch = new Impairments { Loss = 1 } });
        var clean = segment.AddPort();
        var (atLossyOut, atClean) = (Record(scheduler, lossyOut), Record(scheduler, clean));

        lossyIn.Send(Frame(MacAddress.Broadcast, lossyIn.Address, 1));
        clean.Send(Frame(MacAddress.Broadcast, clean.Address, 2));
        scheduler.AdvanceBy(Ms(1));

        Assert.Empty(atLossyOut);
        Assert.Empty(atClean);
        Assert.Equal(1, lossyIn.Counters.ToSwitch.Lost);
        Assert.Equal(1, lossyOut.Counters.FromSwitch.Lost);
        Assert.Equal(1, lossyOut.Counters.FromSwitch.Sent);
    }

    [Fact]
    public void A_seeded_impaired_segment_repeats_itself_exactly()
    {
        static string Run(int seed)
        {
            var scheduler = new TestScheduler();
            using var segment = new VirtualSwitch(scheduler, new VirtualSwitchOptions { Seed = seed });
            var impairments = new Impairments { Loss = 0.1, Duplicate = 0.1, Corrupt = 0.05, Reorder = 0.1, Jitter = TimeSpan.FromMilliseconds(3), Delay = TimeSpan.FromMilliseconds(2), Seed = seed };
            var ports = Enumerable.Range(0, 4).Select(i => segment.AddPort(SwitchPortOptions.Symmetric(impairments with { Seed = seed * 10 + i }))).ToList();
            var log = new List<string>();
            foreach (var port in ports)
                port.Inbound.Subscribe(f => log.Add($"{scheduler.Clock} {port.Index} {Convert.ToHexString(f.Span)}"));
            for (int i = 0; i < 200; i++)
            {
                var from = ports[i % 4];
                var to = i % 3 == 0 ? MacAddress.Broadcast : ports[(i + 1) % 4].Address;
                from.Send(Frame(to, from.Address, i));
                scheduler.AdvanceBy(Ms(1));
            }
            scheduler.AdvanceBy(Ms(100));
            return string.Join("\n", log);
        }
        var first = Run(3);
        Assert.Equal(first, Run(3));
        Assert.NotEqual(first, Run(4));
    }

    [Fact]
    public void A_pooled_frame_flooded_to_several_ports_is_released_once_per_copy()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var a = segment.AddPort();
        var ports = Enumerable.Range(0, 3).Select(_ => segment.AddPort()).ToList();
        var seen = new List<byte[]>();
        foreach (var port in ports) port.Inbound.Subscribe(f => seen.Add(f.ToArray()));

        var frame = PooledPacket.CopyOf(Frame(MacAddress.Broadcast, a.Address, 7));
        frame.AddRef(); // the test's own reference, to watch the count
        a.Send(frame);
        Assert.Equal(4, frame.References); // ours, and one per copy in flight
        scheduler.AdvanceBy(1);
        Assert.Equal(1, frame.References);
        Assert.Equal(3, seen.Count);
        Assert.All(seen, f => Assert.Equal(7, IdOf(f.AsMemory(EthernetCodec.HeaderLength))));
        frame.Release();
    }

    [Fact]
    public void A_host_that_sends_while_receiving_is_not_re_entered()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var a = segment.AddPort();
        var b = segment.AddPort();
        int depth = 0, deepest = 0, received = 0;
        foreach (var (self, other) in new[] { (a, b), (b, a) })
        {
            self.Inbound.Subscribe(f =>
            {
                deepest = Math.Max(deepest, ++depth);
                if (++received < 20) self.Send(Frame(other.Address, self.Address, received));
                depth--;
            });
        }
        a.Send(Frame(b.Address, a.Address, 0));
        scheduler.AdvanceBy(Ms(1));
        Assert.Equal(20, received);
        Assert.Equal(1, deepest);
    }

    [Fact]
    public void Oversize_and_headerless_frames_are_dropped_and_counted()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler, new VirtualSwitchOptions { Mtu = 1000 });
        var a = segment.AddPort();
        var atB = Record(scheduler, segment.AddPort());
        a.Send(Frame(MacAddress.Broadcast, a.Address, 1, payload: 1000));
        a.Send(Frame(MacAddress.Broadcast, a.Address, 2, payload: 1001));
        a.Send(new byte[13]);
        scheduler.AdvanceBy(1);
        Assert.Equal([1], atB.Select(x => x.Id));
        Assert.Equal(1, a.Counters.ToSwitch.Oversize);
        Assert.Equal(1, a.Counters.Malformed);
        Assert.Equal(1000, a.Mtu);
    }

    [Fact]
    public void An_unplugged_port_completes_and_the_rest_of_the_segment_carries_on()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var a = segment.AddPort();
        var b = segment.AddPort();
        var c = segment.AddPort();
        bool completed = false;
        b.Inbound.Subscribe(_ => { }, () => completed = true);
        var atC = Record(scheduler, c);
        b.Send(Frame(MacAddress.Broadcast, b.Address, 0));
        scheduler.AdvanceBy(1);
        a.Send(Frame(MacAddress.Broadcast, a.Address, 1));
        b.Dispose();
        scheduler.AdvanceBy(1);
        Assert.True(completed);
        Assert.Equal([0, 2], segment.Ports.Select(p => p.Index));
        Assert.False(segment.TryGetPort(b.Address, out _));
        a.Send(Frame(b.Address, a.Address, 2)); // b's address forgotten: flooded to c
        scheduler.AdvanceBy(1);
        Assert.Equal([0, 1, 2], atC.Select(x => x.Id));

        bool cCompleted = false;
        c.Inbound.Subscribe(_ => { }, () => cCompleted = true);
        segment.Dispose();
        Assert.True(cCompleted);
        Assert.Throws<ObjectDisposedException>(() => segment.AddPort());
    }

    [Fact]
    public void Port_addresses_are_locally_administered_unique_and_seeded_unless_given()
    {
        var scheduler = new TestScheduler();
        using var one = new VirtualSwitch(scheduler, new VirtualSwitchOptions { Seed = 9 });
        using var two = new VirtualSwitch(scheduler, new VirtualSwitchOptions { Seed = 9 });
        var first = Enumerable.Range(0, 8).Select(_ => one.AddPort().Address).ToList();
        Assert.Equal(first, Enumerable.Range(0, 8).Select(_ => two.AddPort().Address));
        Assert.Equal(8, first.Distinct().Count());
        Assert.All(first, m => Assert.True(m.IsUnicast && m.IsLocallyAdministered));
        var given = MacAddress.Parse("02:00:00:00:00:42");
        Assert.Equal(given, one.AddPort(new SwitchPortOptions { Address = given }).Address);
        Assert.Throws<ArgumentException>(() => one.AddPort(new SwitchPortOptions { Address = MacAddress.Broadcast }));
        Assert.Throws<ArgumentException>(() => one.AddPort(new SwitchPortOptions { ToSwitch = new Impairments { CongestionMark = 0.1 } }));
    }
}
