using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Interfaces;

/// <summary>Hostile and random input: the codecs never throw, and the cache keeps its bounds and hands back every packet exactly once.</summary>
public class ArpCacheRandomInputTests
{
    [Fact]
    public void The_codecs_never_throw_on_random_bytes()
    {
        var r = new Random(1);
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new byte[r.Next(80)];
            r.NextBytes(bytes);
            if (r.Next(2) == 0 && bytes.Length >= 8)
            {
                // Mostly-valid ARP headers, so the deeper checks get exercised too.
                bytes[0] = 0; bytes[1] = 1; bytes[2] = 8; bytes[3] = 0; bytes[4] = 6; bytes[5] = 4; bytes[6] = 0;
            }
            var reason = EthernetCodec.TryParse(bytes, out _);
            Assert.True(Enum.IsDefined(reason));
            reason = ArpCodec.TryParse(bytes, out var arp);
            if (reason == DropReason.None) Assert.True(arp.Operation is ArpOperation.Request or ArpOperation.Reply);
            Assert.True(EthernetCodec.TrimToIpv4TotalLength(bytes.AsMemory()).Length <= bytes.Length);
        }
    }

    [Fact]
    public void Random_traffic_keeps_the_table_bounded_and_every_packet_is_handed_back_once()
    {
        for (int seed = 0; seed < 40; seed++)
        {
            var r = new Random(seed);
            var options = new ArpOptions { MaxEntries = 8, MaxQueuedPackets = 3 };
            var ours = MacAddress.Parse("02:00:00:00:00:02");
            var cache = new ArpCache<int>(ours, options, seed);
            var actions = new ArpActions<int>();
            var addresses = Enumerable.Range(1, 20).Select(i => new IPv4Address(0xC0000200u + (uint)i)).ToArray();
            var macs = Enumerable.Range(1, 6).Select(i => new MacAddress(0xEE0000000000UL + (ulong)i)).Append(MacAddress.Broadcast).Append(ours).ToArray();
            long now = 0;
            int sent = 0;
            var handedBack = new HashSet<int>();
            cache.AddAddress(addresses[0], now, actions);

            for (int step = 0; step < 3000; step++)
            {
                now += r.Next(3) == 0 ? TimeSpan.FromSeconds(r.Next(1, 40)).Ticks : TimeSpan.FromMilliseconds(r.Next(0, 500)).Ticks;
                while (cache.NextDue is { } due && due <= now) cache.Tick(due, actions);
                switch (r.Next(5))
                {
                    case 0:
                    case 1:
                        cache.Send(addresses[r.Next(addresses.Length)], sent++, r.Next(40, 1500), now, actions);
                        break;
                    case 2:
                    case 3:
                        var arp = new ArpPacket(r.Next(2) == 0 ? ArpOperation.Request : ArpOperation.Reply,
                            macs[r.Next(macs.Length)], addresses[r.Next(addresses.Length)], macs[r.Next(macs.Length)], addresses[r.Next(addresses.Length)]);
                        var reason = cache.Receive(arp, r.Next(2) == 0, now, actions);
                        Assert.True(Enum.IsDefined(reason));
                        break;
                    case 4:
                        cache.Confirm(addresses[r.Next(addresses.Length)], now, actions);
                        break;
                }
                foreach (var action in actions)
                {
                    if (action.Kind is ArpActionKind.Transmit or ArpActionKind.Drop)
                        Assert.True(handedBack.Add(action.Packet), $"seed {seed}: packet {action.Packet} handed back twice");
                    if (action.Kind == ArpActionKind.Transmit) Assert.True(action.Destination != MacAddress.Zero && action.Destination != ours);
                    if (action.Kind == ArpActionKind.SendArp) Assert.Equal(ours, action.Arp.SenderMac);
                }
                actions.Clear();
                Assert.True(cache.Count <= options.MaxEntries, $"seed {seed}: {cache.Count} entries");
                Assert.All(cache.Entries(), e => Assert.True(e.QueuedPackets <= options.MaxQueuedPackets));
                Assert.DoesNotContain(cache.Entries(), e => e.Address == addresses[0]); // never a neighbour entry for our own address
            }

            cache.Clear(actions);
            foreach (var action in actions)
                if (action.Kind is ArpActionKind.Transmit or ArpActionKind.Drop)
                    Assert.True(handedBack.Add(action.Packet));
            Assert.Equal(sent, handedBack.Count); // nothing kept, nothing lost
        }
    }
}
