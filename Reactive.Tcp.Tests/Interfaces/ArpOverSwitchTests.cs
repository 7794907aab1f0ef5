using Microsoft.Reactive.Testing;
using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Interfaces;

/// <summary>ARP caches, the Ethernet codec and the virtual switch together: three hosts on one segment, in virtual time.</summary>
public sealed class ArpOverSwitchTests
{
    private static readonly IPv4Address A = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address B = IPv4Address.Parse("192.0.2.2");
    private static readonly IPv4Address C = IPv4Address.Parse("192.0.2.3");
    private static readonly IPv4Address Nobody = IPv4Address.Parse("192.0.2.99");

    private static byte[] Udp(IPv4Address from, IPv4Address to, byte id) =>
        PacketBuilder.BuildUdp(from, to, 1000, 2000, [id]);

    [Fact]
    public void Three_hosts_resolve_each_other_and_unicast_stays_between_the_two_that_talk()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler, new VirtualSwitchOptions { Seed = 1 });
        var impaired = new Impairments { Delay = TimeSpan.FromMilliseconds(1) };
        using var a = new EthernetHostRig(scheduler, segment.AddPort(SwitchPortOptions.Symmetric(impaired)), A, seed: 1);
        using var b = new EthernetHostRig(scheduler, segment.AddPort(SwitchPortOptions.Symmetric(impaired)), B, seed: 2);
        using var c = new EthernetHostRig(scheduler, segment.AddPort(SwitchPortOptions.Symmetric(impaired)), C, seed: 3);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks); // announcements settle
        // Announcements are requests about someone else: B heard A's second (its first went out
        // before B was plugged in) and both of C's.
        Assert.Equal(3, b.Drops[DropReason.NotForUs]);
        Assert.Equal(0, b.Arp.Count);

        var packet = Udp(A, C, 1);
        a.SendIp(C, packet);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);

        Assert.Equal([packet], c.Received); // padding trimmed: the UDP packet is shorter than a minimum frame's payload
        Assert.Empty(b.Received);
        Assert.True(a.Arp.TryGetEntry(C, out var resolved));
        Assert.Equal((NeighbourState.Reachable, c.Mac), (resolved.State, resolved.LinkAddress));
        Assert.Equal(NeighbourState.Stale, c.Arp.TryGetEntry(A, out var learned) ? learned.State : NeighbourState.None); // C learned A from A's request
        Assert.Equal(0, b.Arp.Count); // B saw the broadcast request but was not its target: merge rule
        Assert.Equal(4, b.Drops[DropReason.NotForUs]);

        // C answers through its stale entry without asking; the switch sends it to A alone.
        var answer = Udp(C, A, 2);
        c.SendIp(A, answer);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
        Assert.Equal([answer], a.Received);
        Assert.Equal(1, a.Arp.Counters.RequestsSent);
        Assert.Equal(0, c.Arp.Counters.RequestsSent);
        Assert.Equal(0, b.Drops[DropReason.NotForOurMac]); // unicast never reached B's port once learned
    }

    [Fact]
    public void A_next_hop_that_never_answers_fails_every_waiting_packet_after_three_seconds()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        using var a = new EthernetHostRig(scheduler, segment.AddPort(), A);
        using var b = new EthernetHostRig(scheduler, segment.AddPort(), B);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks);
        var start = scheduler.Clock;
        var heardBefore = b.Drops[DropReason.NotForUs];

        a.SendIp(Nobody, Udp(A, Nobody, 1));
        a.SendIp(Nobody, Udp(A, Nobody, 2));
        scheduler.AdvanceBy(TimeSpan.FromSeconds(2.9).Ticks);
        Assert.Empty(a.Undeliverable);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(0.2).Ticks);

        Assert.Equal([DropReason.NeighbourUnreachable, DropReason.NeighbourUnreachable], a.Undeliverable.Select(u => u.Reason));
        Assert.Equal(3, a.Arp.Counters.RequestsSent);
        Assert.Equal(3, b.Drops[DropReason.NotForUs] - heardBefore); // B saw each request and stayed quiet
        Assert.Equal(2, a.Drops[DropReason.NeighbourUnreachable]);
        Assert.InRange(scheduler.Clock - start, TimeSpan.FromSeconds(3).Ticks, TimeSpan.FromSeconds(3.1).Ticks);
    }

    [Fact]
    public void Resolution_survives_a_lossy_segment_by_retransmitting()
    {
        int resolvedFirstTry = 0, resolvedLater = 0, failed = 0;
        for (int seed = 0; seed < 50; seed++)
        {
            var scheduler = new TestScheduler();
            using var segment = new VirtualSwitch(scheduler, new VirtualSwitchOptions { Seed = seed });
            var lossy = new Impairments { Loss = 0.15, Seed = seed };
            using var a = new EthernetHostRig(scheduler, segment.AddPort(SwitchPortOptions.Symmetric(lossy)), A, seed: seed);
            using var b = new EthernetHostRig(scheduler, segment.AddPort(SwitchPortOptions.Symmetric(lossy with { Seed = seed + 100 })), B, seed: seed);
            scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks);
            a.SendIp(B, Udp(A, B, 1));
            scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks);
            // The data packet itself may be lost after resolution; only ARP's outcome is counted here.
            if (a.Arp.Counters.Resolved == 1)
            {
                Assert.Empty(a.Undeliverable);
                if (a.Arp.Counters.RequestsSent == 1) resolvedFirstTry++;
                else resolvedLater++;
            }
            else
            {
                failed++;
                Assert.Single(a.Undeliverable);
                Assert.Empty(b.Received);
            }
        }
        // A request and its reply cross four lossy cables (15 % each): a round succeeds about half
        // the time, three rounds about nine times in ten, and some runs need the second or third.
        Assert.True(resolvedLater > 0, $"first try {resolvedFirstTry}, later {resolvedLater}, failed {failed}");
        Assert.True(resolvedFirstTry + resolvedLater > 3 * failed, $"first try {resolvedFirstTry}, later {resolvedLater}, failed {failed}");
    }
}
