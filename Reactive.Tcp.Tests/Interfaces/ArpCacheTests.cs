using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Interfaces.ArpStepper;

namespace Reactive.Tcp.Tests.Interfaces;

/// <summary>
/// Step tests of the ARP cache: each drives it as an interface would, in virtual time, and checks
/// the actions it asked for. The scenarios are the ones <c>marbles/arp/</c> will hold.
/// </summary>
public class ArpCacheTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Resolution_queues_packets_asks_once_and_flushes_them_in_order_on_the_reply()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.Send("p2");
        Assert.Equal(NeighbourState.Incomplete, arp.StateOf(PeerIp));
        var request = Assert.Single(arp.ArpSent);
        Assert.Equal((0L, ArpPacket.Request(OurMac, OurIp, PeerIp), MacAddress.Broadcast), request);
        Assert.Empty(arp.Transmitted);
        Assert.True(arp.Cache.TryGetEntry(PeerIp, out var waiting));
        Assert.Equal(2, waiting.QueuedPackets);

        arp.AdvanceTo(S(0.2));
        Assert.Equal(DropReason.None, arp.PeerReplies());
        Assert.Equal(NeighbourState.Reachable, arp.StateOf(PeerIp));
        Assert.Equal(["p1", "p2"], arp.Transmitted);
        Assert.All(arp.Actions(ArpActionKind.Transmit), a => Assert.Equal(PeerMac, a.Destination));

        arp.Send("p3");
        Assert.Equal(["p1", "p2", "p3"], arp.Transmitted);
        arp.AdvanceTo(S(5));
        Assert.Single(arp.ArpSent); // no retransmission once resolved
        Assert.Equal(1, arp.Cache.Counters.Resolved);
        Assert.Equal(1, arp.Cache.Counters.RequestsSent);
    }

    [Fact]
    public void An_unanswered_neighbour_gets_three_requests_a_second_apart_then_every_queued_packet_is_reported_unreachable()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.AdvanceTo(S(1.5));
        arp.Send("p2");
        arp.AdvanceTo(S(10));

        Assert.Equal([0L, S(1).Ticks, S(2).Ticks], arp.ArpSent.Select(r => r.At));
        Assert.All(arp.ArpSent, r => Assert.Equal(MacAddress.Broadcast, r.To));
        Assert.Equal([("p1", DropReason.NeighbourUnreachable), ("p2", DropReason.NeighbourUnreachable)], arp.Dropped);
        Assert.Equal(S(3).Ticks, arp.Log.Single(e => e.Action.Kind == ArpActionKind.Drop && e.Action.Packet == "p1").At);
        Assert.Equal(NeighbourState.None, arp.StateOf(PeerIp));
        Assert.Equal(1, arp.Cache.Counters.Failed);
        Assert.Null(arp.Cache.NextDue);

        // The next packet starts a fresh resolution.
        arp.Send("p3");
        Assert.Equal(4, arp.ArpSent.Count());
        Assert.Equal(NeighbourState.Incomplete, arp.StateOf(PeerIp));
    }

    [Fact]
    public void A_late_reply_still_resolves_before_the_bound()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.AdvanceTo(S(2.9));
        arp.PeerReplies();
        arp.AdvanceTo(S(10));
        Assert.Equal(["p1"], arp.Transmitted);
        Assert.Empty(arp.Dropped);
        Assert.Equal(3, arp.ArpSent.Count());
    }

    [Fact]
    public void Reachable_time_is_randomised_between_half_and_one_and_a_half_base_then_the_entry_turns_stale()
    {
        var expiries = new List<double>();
        for (int seed = 0; seed < 40; seed++)
        {
            var arp = new ArpStepper(seed: seed);
            arp.Send("p1");
            arp.PeerReplies();
            arp.AdvanceTo(S(100));
            var stale = arp.Log.Single(e => e.Action is { Kind: ArpActionKind.StateChanged, To: NeighbourState.Stale });
            expiries.Add(TimeSpan.FromTicks(stale.At).TotalSeconds);
        }
        Assert.All(expiries, t => Assert.InRange(t, 15, 45));
        Assert.True(expiries.Max() - expiries.Min() > 10, $"reachable times barely vary: {string.Join(", ", expiries)}");
    }

    [Fact]
    public void A_stale_entry_in_use_waits_five_seconds_then_probes_by_unicast_and_a_reply_makes_it_reachable_again()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.PeerReplies();
        arp.AdvanceTo(S(60));
        Assert.Equal(NeighbourState.Stale, arp.StateOf(PeerIp));

        arp.Send("p2"); // a stale mapping is still used
        Assert.Equal(["p1", "p2"], arp.Transmitted);
        Assert.Equal(NeighbourState.Delay, arp.StateOf(PeerIp));

        arp.AdvanceTo(S(64.9));
        Assert.Single(arp.ArpSent);
        arp.AdvanceTo(S(65));
        Assert.Equal(NeighbourState.Probe, arp.StateOf(PeerIp));
        var probe = arp.ArpSent.Last();
        Assert.Equal((S(65).Ticks, ArpPacket.Request(OurMac, OurIp, PeerIp), PeerMac), probe); // unicast to the known address

        arp.Send("p3"); // still sent while probing
        Assert.Equal("p3", arp.Transmitted.Last());
        arp.AdvanceTo(S(65.5));
        arp.PeerReplies();
        Assert.Equal(NeighbourState.Reachable, arp.StateOf(PeerIp));
        arp.AdvanceTo(S(75));
        Assert.Equal(2, arp.ArpSent.Count());
    }

    [Fact]
    public void Upper_layer_confirmation_during_the_delay_saves_the_probe()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.PeerReplies();
        arp.AdvanceTo(S(60));
        arp.Send("p2");
        arp.AdvanceTo(S(62));
        arp.Confirm();
        Assert.Equal(NeighbourState.Reachable, arp.StateOf(PeerIp));
        arp.AdvanceTo(S(70));
        Assert.Single(arp.ArpSent);
    }

    [Fact]
    public void Confirmation_keeps_a_reachable_entry_reachable()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.PeerReplies();
        for (int t = 1; t <= 120; t++)
        {
            arp.AdvanceTo(S(t));
            arp.Send($"q{t}");
            arp.Confirm(); // an ACK that advanced, every second
        }
        Assert.Equal(NeighbourState.Reachable, arp.StateOf(PeerIp));
        Assert.Single(arp.ArpSent);
        Assert.DoesNotContain(arp.Actions(ArpActionKind.StateChanged), a => a.To == NeighbourState.Stale);
    }

    [Fact]
    public void Unanswered_probes_drop_the_entry_and_the_next_packet_resolves_afresh()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.PeerReplies();
        arp.AdvanceTo(S(60));
        arp.Send("p2");
        arp.AdvanceTo(S(80));
        var probes = arp.ArpSent.Skip(1).ToList();
        Assert.Equal([S(65).Ticks, S(66).Ticks, S(67).Ticks], probes.Select(p => p.At));
        Assert.All(probes, p => Assert.Equal(PeerMac, p.To));
        Assert.Equal(NeighbourState.None, arp.StateOf(PeerIp));
        Assert.Equal(S(68).Ticks, arp.Log.Single(e => e.Action is { Kind: ArpActionKind.StateChanged, To: NeighbourState.None }).At);
        Assert.Empty(arp.Dropped); // nothing was waiting: probing never holds packets back

        arp.Send("p3");
        Assert.Equal(MacAddress.Broadcast, arp.ArpSent.Last().To);
    }

    [Fact]
    public void An_unused_stale_entry_is_collected_after_the_stale_time()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.PeerReplies();
        arp.AdvanceTo(S(50));
        var staleAt = arp.Log.Single(e => e.Action.To == NeighbourState.Stale && e.Action.Kind == ArpActionKind.StateChanged).At;
        arp.AdvanceTo(TimeSpan.FromTicks(staleAt) + S(59.9));
        Assert.Equal(NeighbourState.Stale, arp.StateOf(PeerIp));
        arp.AdvanceTo(TimeSpan.FromTicks(staleAt) + S(60));
        Assert.Equal(NeighbourState.None, arp.StateOf(PeerIp));
        Assert.Equal(1, arp.Cache.Counters.Expired);
        Assert.Single(arp.ArpSent);
    }

    [Fact]
    public void A_full_queue_drops_the_oldest_packet_for_the_newest_and_counts_it()
    {
        var arp = new ArpStepper(new ArpOptions { MaxQueuedPackets = 3 });
        foreach (var p in new[] { "p1", "p2", "p3", "p4", "p5" }) arp.Send(p);
        Assert.Equal([("p1", DropReason.NeighbourQueueFull), ("p2", DropReason.NeighbourQueueFull)], arp.Dropped);
        Assert.Equal(2, arp.Cache.Counters.QueueOverflows);
        arp.PeerReplies();
        Assert.Equal(["p3", "p4", "p5"], arp.Transmitted);
    }

    [Fact]
    public void The_queue_is_bounded_in_bytes_too()
    {
        var arp = new ArpStepper(new ArpOptions { MaxQueuedBytes = 3000 });
        arp.Send("a", length: 1500);
        arp.Send("b", length: 1000);
        arp.Send("c", length: 1000); // 3500 > 3000: a goes
        arp.Send("huge", length: 3001); // could never fit
        Assert.Equal([("a", DropReason.NeighbourQueueFull), ("huge", DropReason.NeighbourQueueFull)], arp.Dropped);
        arp.PeerReplies();
        Assert.Equal(["b", "c"], arp.Transmitted);
    }

    [Fact]
    public void Linux_defaults_queue_101_packets_per_neighbour()
    {
        var arp = new ArpStepper();
        for (int i = 0; i < 105; i++) arp.Send($"p{i}", length: 1500);
        Assert.Equal(4, arp.Dropped.Count());
        arp.PeerReplies();
        Assert.Equal(101, arp.Transmitted.Count());
        Assert.Equal("p4", arp.Transmitted.First());
    }

    [Fact]
    public void An_unsolicited_reply_is_not_learned()
    {
        var arp = new ArpStepper();
        Assert.Equal(DropReason.ArpUnsolicitedReply, arp.PeerReplies());
        Assert.Equal(DropReason.ArpUnsolicitedReply, arp.Receive(ArpPacket.Reply(OtherMac, OtherIp, PeerMac, PeerIp), unicastToUs: false));
        Assert.Equal(0, arp.Cache.Count);

        arp.Send("p1"); // still has to ask
        Assert.Equal(NeighbourState.Incomplete, arp.StateOf(PeerIp));
        Assert.Single(arp.ArpSent);
        Assert.Empty(arp.Transmitted);
    }

    [Fact]
    public void A_request_for_our_address_is_answered_and_its_sender_learned_as_stale()
    {
        var arp = new ArpStepper();
        Assert.Equal(DropReason.None, arp.Receive(ArpPacket.Request(PeerMac, PeerIp, OurIp), unicastToUs: false));
        var reply = Assert.Single(arp.ArpSent);
        Assert.Equal(PeerMac, reply.To);
        Assert.Equal(ArpPacket.Reply(OurMac, OurIp, PeerMac, PeerIp), reply.Arp);
        Assert.Equal(NeighbourState.Stale, arp.StateOf(PeerIp));
        Assert.Equal(1, arp.Cache.Counters.Learned);

        arp.Send("p1"); // usable at once, no request of our own
        Assert.Equal(["p1"], arp.Transmitted);
        Assert.Equal(NeighbourState.Delay, arp.StateOf(PeerIp));
        Assert.Single(arp.ArpSent);
    }

    [Fact]
    public void A_request_from_a_neighbour_we_are_resolving_resolves_it()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.Receive(ArpPacket.Request(PeerMac, PeerIp, OurIp), unicastToUs: false);
        Assert.Equal(["p1"], arp.Transmitted);
        Assert.Equal(NeighbourState.Delay, arp.StateOf(PeerIp)); // usable, not confirmed
        arp.AdvanceTo(S(10));
        Assert.Empty(arp.Dropped);
    }

    [Fact]
    public void A_request_for_another_host_is_not_learned_from_unless_we_hold_its_sender()
    {
        var arp = new ArpStepper();
        Assert.Equal(DropReason.NotForUs, arp.Receive(ArpPacket.Request(OtherMac, OtherIp, PeerIp), unicastToUs: false));
        Assert.Equal(0, arp.Cache.Count);
        Assert.Empty(arp.ArpSent);

        // We hold the peer; it moves to another NIC and asks about someone else: RFC 826 updates the entry.
        arp.Send("p1");
        arp.PeerReplies();
        arp.AdvanceTo(S(2)); // past the lock time
        var moved = MacAddress.Parse("ee:00:00:00:00:99");
        Assert.Equal(DropReason.None, arp.Receive(ArpPacket.Request(moved, PeerIp, OtherIp), unicastToUs: false));
        Assert.True(arp.Cache.TryGetEntry(PeerIp, out var entry));
        Assert.Equal(moved, entry.LinkAddress);
        Assert.Equal(NeighbourState.Stale, entry.State); // a new address is not yet a confirmed one
        Assert.Equal(1, arp.Cache.Counters.Changed);
        arp.Send("p2");
        Assert.Equal(moved, arp.Actions(ArpActionKind.Transmit).Last().Destination);
    }

    [Fact]
    public void A_request_with_the_same_address_does_not_downgrade_a_reachable_entry()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.PeerReplies();
        arp.AdvanceTo(S(1));
        arp.Receive(ArpPacket.Request(PeerMac, PeerIp, OurIp), unicastToUs: false);
        Assert.Equal(NeighbourState.Reachable, arp.StateOf(PeerIp));
    }

    [Fact]
    public void Within_the_lock_time_a_second_answer_with_another_address_loses_unless_announced()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.PeerReplies();
        arp.AdvanceTo(S(0.5));
        var proxy = MacAddress.Parse("ee:00:00:00:00:77");
        Assert.Equal(DropReason.None, arp.PeerReplies(proxy));
        Assert.True(arp.Cache.TryGetEntry(PeerIp, out var kept));
        Assert.Equal(PeerMac, kept.LinkAddress);

        // An announcement by the neighbour itself overrides the lock.
        arp.Receive(ArpPacket.Announcement(proxy, PeerIp), unicastToUs: false);
        Assert.True(arp.Cache.TryGetEntry(PeerIp, out var moved));
        Assert.Equal(proxy, moved.LinkAddress);
    }

    [Theory]
    [InlineData("ff:ff:ff:ff:ff:ff", "192.0.2.1")]
    [InlineData("01:00:5e:00:00:01", "192.0.2.1")]
    [InlineData("00:00:00:00:00:00", "192.0.2.1")]
    [InlineData("02:00:00:00:00:02", "192.0.2.1")] // our own MAC, looped back
    [InlineData("ee:00:00:00:00:01", "255.255.255.255")]
    [InlineData("ee:00:00:00:00:01", "224.0.0.1")]
    [InlineData("ee:00:00:00:00:01", "127.0.0.1")]
    public void Broadcast_multicast_zero_and_own_senders_are_never_learned_nor_answered(string mac, string ip)
    {
        var arp = new ArpStepper();
        var sender = MacAddress.Parse(mac);
        var senderIp = IPv4Address.Parse(ip);
        Assert.Equal(DropReason.ArpBadSender, arp.Receive(ArpPacket.Request(sender, senderIp, OurIp), unicastToUs: false));
        Assert.Equal(DropReason.ArpBadSender, arp.Receive(ArpPacket.Reply(sender, senderIp, OurMac, OurIp)));
        Assert.Empty(arp.Log);
        Assert.Equal(0, arp.Cache.Count);

        // Not even an update of an entry we hold.
        if (senderIp == PeerIp)
        {
            arp.Send("p1");
            arp.PeerReplies();
            arp.AdvanceTo(S(5));
            arp.Receive(ArpPacket.Announcement(sender, PeerIp), unicastToUs: false);
            Assert.True(arp.Cache.TryGetEntry(PeerIp, out var entry));
            Assert.Equal(PeerMac, entry.LinkAddress);
        }
    }

    [Fact]
    public void A_probe_for_our_address_is_answered_but_teaches_nothing()
    {
        var arp = new ArpStepper();
        var probe = new ArpPacket(ArpOperation.Request, PeerMac, IPv4Address.Any, MacAddress.Zero, OurIp);
        Assert.Equal(DropReason.None, arp.Receive(probe, unicastToUs: false));
        var reply = Assert.Single(arp.ArpSent);
        Assert.Equal(ArpPacket.Reply(OurMac, OurIp, PeerMac, IPv4Address.Any), reply.Arp);
        Assert.Equal(0, arp.Cache.Count);
    }

    [Fact]
    public void Another_station_claiming_our_address_is_a_conflict_defended_once_per_interval()
    {
        var arp = new ArpStepper();
        var claim = ArpPacket.Announcement(PeerMac, OurIp);
        Assert.Equal(DropReason.ArpAddressConflict, arp.Receive(claim, unicastToUs: false));
        var defence = Assert.Single(arp.ArpSent);
        Assert.Equal((0L, ArpPacket.Announcement(OurMac, OurIp), MacAddress.Broadcast), defence);

        arp.AdvanceTo(S(9));
        Assert.Equal(DropReason.ArpAddressConflict, arp.Receive(claim, unicastToUs: false));
        Assert.Single(arp.ArpSent);
        arp.AdvanceTo(S(10));
        arp.Receive(claim, unicastToUs: false);
        Assert.Equal(2, arp.ArpSent.Count());
        Assert.Equal(3, arp.Cache.Counters.Conflicts);
        Assert.Equal(0, arp.Cache.Count);
    }

    [Fact]
    public void An_address_coming_up_is_announced_twice_two_seconds_apart()
    {
        var arp = new ArpStepper(withAddress: false);
        var address = IPv4Address.Parse("192.0.2.9");
        arp.Do(a => arp.Cache.AddAddress(address, arp.Now, a));
        arp.AdvanceTo(S(10));
        Assert.Equal([(0L, ArpPacket.Announcement(OurMac, address), MacAddress.Broadcast), (S(2).Ticks, ArpPacket.Announcement(OurMac, address), MacAddress.Broadcast)], arp.ArpSent);
        Assert.Equal(2, arp.Cache.Counters.AnnouncementsSent);

        // Removed before its second announcement: no more of them.
        var second = IPv4Address.Parse("192.0.2.10");
        arp.Do(a => arp.Cache.AddAddress(second, arp.Now, a));
        Assert.True(arp.Cache.RemoveAddress(second));
        arp.AdvanceTo(S(20));
        Assert.Equal(3, arp.ArpSent.Count());
        Assert.Equal(DropReason.NotForUs, arp.Receive(ArpPacket.Request(PeerMac, PeerIp, second), unicastToUs: false));
    }

    [Fact]
    public void Without_an_address_no_request_can_be_asked_and_resolution_fails_quietly()
    {
        var arp = new ArpStepper(withAddress: false);
        arp.Send("p1");
        arp.AdvanceTo(S(5));
        Assert.Empty(arp.ArpSent);
        Assert.Equal([("p1", DropReason.NeighbourUnreachable)], arp.Dropped);
    }

    [Fact]
    public void Broadcast_and_multicast_next_hops_need_no_resolution()
    {
        var arp = new ArpStepper();
        arp.Send("all", IPv4Address.Parse("255.255.255.255"));
        arp.Send("mdns", IPv4Address.Parse("224.0.0.251"));
        Assert.Equal([MacAddress.Broadcast, MacAddress.Parse("01:00:5e:00:00:fb")], arp.Actions(ArpActionKind.Transmit).Select(a => a.Destination));
        Assert.Empty(arp.ArpSent);
        Assert.Equal(0, arp.Cache.Count);
    }

    [Theory]
    [InlineData("192.0.2.2")] // our own
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.1")]
    [InlineData("240.0.0.1")]
    public void Next_hops_no_station_can_be_are_dropped_without_asking(string address)
    {
        var arp = new ArpStepper();
        arp.Send("p1", IPv4Address.Parse(address));
        Assert.Equal([("p1", DropReason.BadAddress)], arp.Dropped);
        Assert.Empty(arp.ArpSent);
        Assert.Equal(0, arp.Cache.Count);
    }

    [Fact]
    public void A_full_table_evicts_the_least_recently_used_stale_entry_and_never_an_incomplete_one()
    {
        var arp = new ArpStepper(new ArpOptions { MaxEntries = 2 });
        arp.Receive(ArpPacket.Request(PeerMac, PeerIp, OurIp), unicastToUs: false);   // stale
        arp.AdvanceTo(S(1));
        arp.Receive(ArpPacket.Request(OtherMac, OtherIp, OurIp), unicastToUs: false); // stale, newer
        arp.AdvanceTo(S(2));
        var third = IPv4Address.Parse("192.0.2.4");
        arp.Send("p1", third);
        Assert.Equal(NeighbourState.None, arp.StateOf(PeerIp));
        Assert.Equal(NeighbourState.Stale, arp.StateOf(OtherIp));
        Assert.Equal(NeighbourState.Incomplete, arp.StateOf(third));
        Assert.Equal(1, arp.Cache.Counters.Evicted);

        var fourth = IPv4Address.Parse("192.0.2.5");
        arp.Send("p2", fourth); // evicts the other stale one
        var fifth = IPv4Address.Parse("192.0.2.6");
        arp.Send("p3", fifth);  // only incomplete entries left
        Assert.Equal([("p3", DropReason.NeighbourTableFull)], arp.Dropped);
        Assert.Equal(2, arp.Cache.Count);
    }

    [Fact]
    public void Static_entries_flush_waiting_packets_and_are_never_probed_or_changed()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.Do(a => arp.Cache.AddStatic(PeerIp, PeerMac, arp.Now, a));
        Assert.Equal(["p1"], arp.Transmitted);
        arp.Receive(ArpPacket.Announcement(OtherMac, PeerIp), unicastToUs: false);
        arp.AdvanceTo(S(3600));
        arp.Send("p2");
        Assert.Equal(NeighbourState.Permanent, arp.StateOf(PeerIp));
        Assert.All(arp.Actions(ArpActionKind.Transmit), a => Assert.Equal(PeerMac, a.Destination));
        Assert.Single(arp.ArpSent);
        Assert.Null(arp.Cache.NextDue);
    }

    [Fact]
    public void Clear_hands_back_every_waiting_packet()
    {
        var arp = new ArpStepper();
        arp.Send("p1");
        arp.Send("p2", OtherIp);
        arp.Do(a => arp.Cache.Clear(a));
        Assert.Equal([("p1", DropReason.NeighbourUnreachable), ("p2", DropReason.NeighbourUnreachable)], arp.Dropped.OrderBy(d => d.Packet));
        Assert.Equal(0, arp.Cache.Count);
        Assert.Null(arp.Cache.NextDue);
    }

    [Fact]
    public void Minimart_options_keep_entries_for_14400_seconds_and_ask_again_every_5_seconds_without_giving_up()
    {
        var arp = new ArpStepper(ArpOptions.Minimart);
        arp.Send("p1");
        arp.AdvanceTo(S(100));
        Assert.Equal(Enumerable.Range(0, 21).Select(i => S(5 * i).Ticks), arp.ArpSent.Select(r => r.At));
        Assert.Empty(arp.Dropped);
        Assert.Equal(NeighbourState.Incomplete, arp.StateOf(PeerIp));

        arp.PeerReplies();
        Assert.Equal(["p1"], arp.Transmitted);
        arp.AdvanceTo(S(100 + 14_399));
        arp.Send("p2");
        Assert.Equal(NeighbourState.Reachable, arp.StateOf(PeerIp)); // no stale, delay or probe
        arp.AdvanceTo(S(100 + 14_400));
        Assert.Equal(NeighbourState.None, arp.StateOf(PeerIp));
        Assert.Equal(21, arp.ArpSent.Count());
    }

    [Fact]
    public void Minimart_options_refresh_an_entry_whenever_its_neighbour_is_heard_and_announce_with_a_gratuitous_reply()
    {
        var arp = new ArpStepper(ArpOptions.Minimart, withAddress: false);
        arp.Do(a => arp.Cache.AddAddress(OurIp, arp.Now, a));
        arp.AdvanceTo(S(60));
        Assert.Equal([(0L, ArpPacket.GratuitousReply(OurMac, OurIp), MacAddress.Broadcast)], arp.ArpSent);
        arp.Receive(ArpPacket.Request(PeerMac, PeerIp, OurIp), unicastToUs: false);
        Assert.Equal(NeighbourState.Reachable, arp.StateOf(PeerIp));
        arp.AdvanceTo(S(10_000));
        arp.Receive(ArpPacket.Request(PeerMac, PeerIp, OtherIp), unicastToUs: false); // heard, about someone else
        arp.AdvanceTo(S(20_000));
        Assert.Equal(NeighbourState.Reachable, arp.StateOf(PeerIp));
        arp.AdvanceTo(S(24_400));
        Assert.Equal(NeighbourState.None, arp.StateOf(PeerIp));
    }

    [Fact]
    public void The_same_seed_and_inputs_give_the_same_actions_at_the_same_times()
    {
        static string Run(int seed)
        {
            var arp = new ArpStepper(seed: seed);
            arp.Send("p1");
            arp.AdvanceTo(TimeSpan.FromSeconds(0.5));
            arp.PeerReplies();
            arp.Receive(ArpPacket.Request(OtherMac, OtherIp, OurIp), unicastToUs: false);
            for (int t = 1; t < 200; t += 7)
            {
                arp.AdvanceTo(TimeSpan.FromSeconds(t));
                arp.Send($"a{t}");
                if (t % 3 == 0) arp.Send($"b{t}", OtherIp);
            }
            return arp.ToString();
        }
        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));
    }

    [Fact]
    public void State_changes_can_be_left_out_of_the_actions()
    {
        var cache = new ArpCache<string>(OurMac);
        var actions = new ArpActions<string> { IncludeStateChanges = false };
        cache.AddAddress(OurIp, 0, actions);
        cache.Send(PeerIp, "p1", 100, 0, actions);
        Assert.DoesNotContain(actions, a => a.Kind == ArpActionKind.StateChanged);
        Assert.Equal([ArpActionKind.SendArp, ArpActionKind.SendArp], actions.Select(a => a.Kind)); // announcement, request
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArpCache<string>(OurMac, new ArpOptions { RetransmitInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArpCache<string>(OurMac, new ArpOptions { MinRandomFactor = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArpCache<string>(OurMac, new ArpOptions { MulticastProbes = 0 }));
        Assert.Throws<ArgumentException>(() => new ArpCache<string>(MacAddress.Broadcast));
        var cache = new ArpCache<string>(OurMac);
        Assert.Throws<ArgumentException>(() => cache.AddAddress(IPv4Address.Parse("224.0.0.1"), 0, new ArpActions<string>()));
        Assert.Throws<ArgumentException>(() => cache.AddStatic(PeerIp, MacAddress.Broadcast, 0, new ArpActions<string>()));
    }
}
