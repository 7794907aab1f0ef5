using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Transport;
using Reactive.Tcp.Network;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>IPv4 reassembly at a stack's inbound edge: fragments injected by hand, results seen through a UDP binding and the drop counters.</summary>
public class FragmentReassemblyTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly IPv4Address Us = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address Peer = IPv4Address.Parse("192.0.2.2");
    private const ushort Port = 7000;

    private sealed class Rig : IDisposable
    {
        public readonly TestScheduler Scheduler = new();
        public readonly CapturingLink Link;
        public readonly TcpStack Stack;
        public readonly List<UdpMessage> Received = new();
        private readonly IDisposable _binding;

        public Rig(FragmentReassemblyOptions? reassembly = null)
        {
            Link = new CapturingLink(Scheduler);
            Stack = new TcpStack(Link, new TcpStackOptions { Address = Us, Reassembly = reassembly ?? FragmentReassemblyOptions.Default }, Scheduler);
            _binding = Stack.ReceiveUdp(Port).Subscribe(Received.Add);
        }

        public void Inject(byte[] packet) => Link.Inject(packet);

        public void AssertNothingHeld()
        {
            Assert.Equal(0, Stack.Reassembler.DatagramsInProgress);
            Assert.Equal(0, Stack.Reassembler.BytesHeld);
        }

        public void Dispose()
        {
            _binding.Dispose();
            Stack.Dispose();
            Link.Dispose();
        }
    }

    private static (byte[] Payload, byte[][] Fragments) UdpFragments(int payloadLength, int mtu, ushort id = 77, int seed = 1)
    {
        var payload = new byte[payloadLength];
        new Random(seed).NextBytes(payload);
        var packet = PacketBuilder.BuildUdp(Peer, Us, 5000, Port, payload);
        Ipv4Fragmenter.SetIdentification(packet, id);
        return (payload, Ipv4Fragmenter.Fragment(packet, mtu));
    }

    private static Ipv4Header Header(IpProtocol protocol, ushort id = 5) =>
        new() { Source = Peer, Destination = Us, Protocol = protocol, Identification = id, Ttl = 64 };

    [Fact]
    public void In_order_fragments_deliver_the_datagram_byte_exact()
    {
        using var rig = new Rig();
        var (payload, fragments) = UdpFragments(4000, 1500);
        Assert.Equal(3, fragments.Length);
        foreach (var f in fragments) rig.Inject(f);

        var message = Assert.Single(rig.Received);
        Assert.Equal(payload, message.Data.ToArray());
        Assert.Equal(1, rig.Stack.Counters.DatagramsReassembled);
        Assert.Equal(0, rig.Stack.Drops.Total);
        rig.AssertNothingHeld();
    }

    [Fact]
    public void Reversed_fragments_deliver_the_datagram()
    {
        using var rig = new Rig();
        var (payload, fragments) = UdpFragments(9000, 1500);
        foreach (var f in fragments.Reverse()) rig.Inject(f);
        Assert.Equal(payload, Assert.Single(rig.Received).Data.ToArray());
        rig.AssertNothingHeld();
    }

    [Fact]
    public void The_largest_datagram_reassembles_within_the_per_datagram_bound()
    {
        using var rig = new Rig();
        var (payload, fragments) = UdpFragments(65507, 1500);
        foreach (var f in fragments.Reverse()) rig.Inject(f);
        Assert.Equal(payload, Assert.Single(rig.Received).Data.ToArray());
        rig.AssertNothingHeld();
    }

    [Fact]
    public void Duplicated_fragments_are_harmless()
    {
        using var rig = new Rig();
        var (payload, fragments) = UdpFragments(5000, 1500);
        rig.Inject(fragments[0]);
        rig.Inject(fragments[0]);
        rig.Inject(fragments[2]);
        rig.Inject(fragments[1]);
        rig.Inject(fragments[1]);
        rig.Inject(fragments[3]);
        Assert.Equal(payload, Assert.Single(rig.Received).Data.ToArray());
        Assert.Equal(0, rig.Stack.Drops.Total);
    }

    [Fact]
    public void Random_orders_with_duplicates_always_reassemble_exactly()
    {
        using var rig = new Rig();
        var rng = new Random(1858);
        for (int round = 0; round < 200; round++)
        {
            int mtu = rng.Next(200, 1501); // at most ~115 pieces, within the per-datagram cap with duplicates
            int length = rng.Next(mtu, 20000);
            var (payload, fragments) = UdpFragments(length, mtu, (ushort)round, round);
            var shuffled = fragments.OrderBy(_ => rng.Next()).ToList();
            // Duplicates of pieces already sent, but all before the last new piece: a duplicate
            // after completion would rightly start a new datagram.
            for (int i = 0; i < shuffled.Count; i++)
            {
                if (i > 0 && rng.Next(4) == 0) rig.Inject(shuffled[rng.Next(i)]);
                rig.Inject(shuffled[i]);
            }
            Assert.True(round + 1 == rig.Received.Count, $"round {round}: mtu {mtu}, length {length}, {fragments.Length} fragments, drops {rig.Stack.Drops}");
            Assert.Equal(payload, rig.Received[^1].Data.ToArray());
            rig.AssertNothingHeld();
        }
        Assert.Equal(0, rig.Stack.Drops[DropReason.FragmentOverlap]);
    }

    [Fact]
    public void Overlap_with_the_same_bytes_is_accepted()
    {
        using var rig = new Rig();
        var payload = new byte[8 + 24];
        new Random(3).NextBytes(payload);
        var udp = PacketBuilder.BuildUdp(Peer, Us, 5000, Port, payload)[20..];
        var h = Header(IpProtocol.Udp);
        rig.Inject(Ipv4Fragmenter.Build(h, 0, true, udp.AsSpan(0, 24)));
        rig.Inject(Ipv4Fragmenter.Build(h, 16, true, udp.AsSpan(16, 16))); // overlaps 16..24 with the same bytes
        rig.Inject(Ipv4Fragmenter.Build(h, 32, false, udp.AsSpan(32)));
        Assert.Equal(payload, Assert.Single(rig.Received).Data.ToArray());
    }

    [Fact]
    public void Overlap_with_different_bytes_drops_the_whole_datagram()
    {
        using var rig = new Rig();
        var payload = new byte[40];
        var udp = PacketBuilder.BuildUdp(Peer, Us, 5000, Port, payload)[20..];
        var h = Header(IpProtocol.Udp);
        rig.Inject(Ipv4Fragmenter.Build(h, 0, true, udp.AsSpan(0, 24)));
        var forged = udp.AsSpan(16, 16).ToArray();
        forged[0] ^= 0xFF;
        rig.Inject(Ipv4Fragmenter.Build(h, 16, true, forged));
        Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentOverlap]);
        rig.AssertNothingHeld();

        // The remaining piece cannot complete anything: it starts a new datagram that waits in vain.
        rig.Inject(Ipv4Fragmenter.Build(h, 32, false, udp.AsSpan(32)));
        Assert.Empty(rig.Received);
        rig.Scheduler.AdvanceBy(TimeSpan.FromSeconds(30).Ticks);
        Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentTimeout]);
        rig.AssertNothingHeld();
    }

    [Fact]
    public void A_datagram_missing_a_fragment_times_out_in_virtual_time()
    {
        using var rig = new Rig(FragmentReassemblyOptions.Default with { Timeout = TimeSpan.FromSeconds(10) });
        var (_, fragments) = UdpFragments(3000, 1500);
        rig.Inject(fragments[0]);
        rig.Inject(fragments[2]);
        rig.Scheduler.AdvanceBy(TimeSpan.FromSeconds(10).Ticks - 1);
        Assert.Equal(1, rig.Stack.Reassembler.DatagramsInProgress);
        Assert.Equal(0, rig.Stack.Drops[DropReason.FragmentTimeout]);
        rig.Scheduler.AdvanceBy(1);
        Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentTimeout]);
        rig.AssertNothingHeld();

        // The late fragment does not resurrect it.
        rig.Inject(fragments[1]);
        Assert.Empty(rig.Received);
    }

    [Fact]
    public void The_memory_limit_evicts_the_oldest_datagram_and_completion_frees_memory()
    {
        // Each first fragment takes a 2 KiB pooled buffer: four fit in 8 KiB, the fifth evicts the first.
        using var rig = new Rig(FragmentReassemblyOptions.Default with { MemoryLimit = 8 * 1024 });
        var sets = Enumerable.Range(0, 5).Select(i => UdpFragments(1600, 1500, (ushort)(100 + i), i)).ToArray();
        foreach (var (_, fragments) in sets) rig.Inject(fragments[0]);
        Assert.Equal(4, rig.Stack.Reassembler.DatagramsInProgress);
        Assert.True(rig.Stack.Reassembler.BytesHeld <= 8 * 1024);
        Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentMemoryLimit]);

        foreach (var (_, fragments) in sets.Skip(1)) rig.Inject(fragments[1]);
        Assert.Equal(sets.Skip(1).Select(s => s.Payload), rig.Received.Select(m => m.Data.ToArray()));
        rig.AssertNothingHeld();
    }

    [Fact]
    public void Growing_a_datagram_past_the_memory_limit_drops_it()
    {
        using var rig = new Rig(FragmentReassemblyOptions.Default with { MemoryLimit = 4 * 1024 });
        var (_, fragments) = UdpFragments(6000, 1500);
        foreach (var f in fragments) rig.Inject(f);
        Assert.Empty(rig.Received);
        Assert.True(rig.Stack.Drops[DropReason.FragmentMemoryLimit] >= 1);
        rig.AssertNothingHeld();
    }

    [Fact]
    public void The_datagram_cap_evicts_the_oldest_datagrams()
    {
        using var rig = new Rig(FragmentReassemblyOptions.Default with { MaxDatagrams = 3 });
        var sets = Enumerable.Range(0, 5).Select(i => UdpFragments(2000, 1500, (ushort)i, i)).ToArray();
        foreach (var (_, fragments) in sets) rig.Inject(fragments[0]);
        Assert.Equal(3, rig.Stack.Reassembler.DatagramsInProgress);
        Assert.Equal(2, rig.Stack.Drops[DropReason.FragmentMemoryLimit]);
        foreach (var (_, fragments) in sets.Skip(2)) rig.Inject(fragments[1]);
        Assert.Equal(sets.Skip(2).Select(s => s.Payload), rig.Received.Select(m => m.Data.ToArray()));
    }

    [Fact]
    public void Too_many_fragments_for_one_datagram_drop_it()
    {
        using var rig = new Rig(FragmentReassemblyOptions.Default with { MaxFragmentsPerDatagram = 4 });
        var (_, fragments) = UdpFragments(1000, 100);
        foreach (var f in fragments) rig.Inject(f);
        // Fragments 1–4 are taken, the 5th drops the datagram; 6–9 start another, the 10th drops it too.
        Assert.Equal(13, fragments.Length);
        Assert.Empty(rig.Received);
        Assert.Equal(2, rig.Stack.Drops[DropReason.FragmentMemoryLimit]);
    }

    [Fact]
    public void Tcp_first_fragment_shorter_than_the_tcp_header_is_a_tiny_fragment()
    {
        using var rig = new Rig();
        var h = Header(IpProtocol.Tcp);
        rig.Inject(Ipv4Fragmenter.Build(h, 0, true, new byte[16]));
        Assert.Equal(1, rig.Stack.Drops[DropReason.TinyFragment]);

        // 24 bytes hold the fixed header, but the data offset says 40 (options): still tiny.
        var header = new byte[24];
        header[12] = 10 << 4;
        rig.Inject(Ipv4Fragmenter.Build(Header(IpProtocol.Tcp, 6), 0, true, header));
        Assert.Equal(2, rig.Stack.Drops[DropReason.TinyFragment]);
        rig.AssertNothingHeld();
    }

    [Fact]
    public void Tcp_fragment_at_offset_one_is_dropped_with_its_datagram()
    {
        using var rig = new Rig();
        var segment = new TcpSegment { SourcePort = 40000, DestinationPort = 80, Seq = new SeqNum(1), Flags = TcpFlags.Ack, Ack = new SeqNum(1), Payload = new byte[64] };
        var tcp = PacketBuilder.BuildTcp(Peer, Us, segment)[20..];
        var h = Header(IpProtocol.Tcp);
        rig.Inject(Ipv4Fragmenter.Build(h, 0, true, tcp.AsSpan(0, 24)));
        Assert.Equal(1, rig.Stack.Reassembler.DatagramsInProgress);
        // The RFC 1858 overlapping-header attack: rewrite bytes 8.. (flags) from offset 1.
        rig.Inject(Ipv4Fragmenter.Build(h, 8, true, tcp.AsSpan(8, 16)));
        Assert.Equal(1, rig.Stack.Drops[DropReason.TinyFragment]);
        rig.AssertNothingHeld();
    }

    [Fact]
    public void Fragments_past_65535_bytes_or_against_the_known_end_are_dropped()
    {
        using var rig = new Rig();
        rig.Inject(Ipv4Fragmenter.Build(Header(IpProtocol.Udp, 1), 65512, false, new byte[16]));
        Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentTooLong]);

        var h = Header(IpProtocol.Udp, 2);
        rig.Inject(Ipv4Fragmenter.Build(h, 16, false, new byte[16])); // the end is 32
        rig.Inject(Ipv4Fragmenter.Build(h, 24, true, new byte[16]));  // claims bytes up to 40
        Assert.Equal(2, rig.Stack.Drops[DropReason.FragmentTooLong]);
        rig.AssertNothingHeld();
    }

    [Fact]
    public void A_middle_fragment_that_is_not_8_byte_units_is_a_bad_fragment()
    {
        using var rig = new Rig();
        rig.Inject(Ipv4Fragmenter.Build(Header(IpProtocol.Udp), 0, true, new byte[13]));
        Assert.Equal(1, rig.Stack.Drops[DropReason.BadFragment]);
        rig.AssertNothingHeld();
    }

    [Fact]
    public void Fragments_for_another_address_or_with_reassembly_off_are_dropped()
    {
        using (var rig = new Rig())
        {
            var h = Header(IpProtocol.Udp) with { Destination = IPv4Address.Parse("192.0.2.99") };
            rig.Inject(Ipv4Fragmenter.Build(h, 0, true, new byte[16]));
            Assert.Equal(1, rig.Stack.Drops[DropReason.NotForUs]);
            rig.AssertNothingHeld();
        }
        using (var rig = new Rig(FragmentReassemblyOptions.Default with { Enabled = false }))
        {
            foreach (var f in UdpFragments(3000, 1500).Fragments) rig.Inject(f);
            Assert.Equal(3, rig.Stack.Drops[DropReason.Fragment]);
            Assert.Empty(rig.Received);
        }
    }

    [Fact]
    public void Disposing_the_stack_gives_the_buffers_back()
    {
        var rig = new Rig();
        rig.Inject(UdpFragments(3000, 1500).Fragments[0]);
        Assert.True(rig.Stack.Reassembler.BytesHeld > 0);
        rig.Dispose();
        rig.AssertNothingHeld();
        rig.Scheduler.AdvanceBy(TimeSpan.FromMinutes(1).Ticks); // the timeout finds nothing to do
        Assert.Equal(0, rig.Stack.Drops[DropReason.FragmentTimeout]);
    }

    [Fact]
    public void A_flood_of_incomplete_datagrams_stays_within_the_limits_while_real_datagrams_get_through()
    {
        using var rig = new Rig();
        var rng = new Random(1858);
        var limits = FragmentReassemblyOptions.Default;
        int peakBytes = 0, peakDatagrams = 0, legit = 0;
        void Flood()
        {
            // Spoofed sources, random ids and high offsets, never a complete datagram: the classic fragment flood.
            var h = Header(IpProtocol.Udp, (ushort)rng.Next()) with { Source = new IPv4Address((uint)(0xCB007100 | rng.Next(256))) };
            rig.Inject(Ipv4Fragmenter.Build(h, rng.Next(1, 8000) * 8, true, new byte[8 * rng.Next(1, 180)]));
            peakBytes = Math.Max(peakBytes, rig.Stack.Reassembler.BytesHeld);
            peakDatagrams = Math.Max(peakDatagrams, rig.Stack.Reassembler.DatagramsInProgress);
        }
        for (int i = 0; i < 100_000; i++)
        {
            Flood();
            if (i % 1000 == 999)
            {
                // A real 3-fragment datagram, its pieces interleaved one for one with the flood.
                var (payload, fragments) = UdpFragments(4000, 1500, (ushort)(i / 1000), i);
                foreach (var f in fragments)
                {
                    rig.Inject(f);
                    Flood();
                }
                Assert.Equal(++legit, rig.Received.Count);
                Assert.Equal(payload, rig.Received[^1].Data.ToArray());
            }
            if (i % 10_000 == 9_999) rig.Scheduler.AdvanceBy(TimeSpan.FromSeconds(3).Ticks);
        }
        output.WriteLine($"100,000 flood fragments: peak {peakBytes} B held in {peakDatagrams} datagrams; " +
            $"evicted or refused {rig.Stack.Drops[DropReason.FragmentMemoryLimit]}, timed out {rig.Stack.Drops[DropReason.FragmentTimeout]}; " +
            $"{legit}/100 interleaved real datagrams delivered");

        Assert.True(peakBytes <= limits.MemoryLimit, $"{peakBytes} B held");
        Assert.True(peakDatagrams <= limits.MaxDatagrams);
        Assert.Equal(0, rig.Stack.Counters.PipelineFaults);
        rig.Scheduler.AdvanceBy(limits.Timeout.Ticks);
        rig.AssertNothingHeld();
    }
}
