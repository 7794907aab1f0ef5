using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Diagnostics;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>
/// The pool is process-wide, and some of these tests release on purpose more than they should or
/// count on getting a buffer back; with other tests renting at the same time, a wrongly released
/// buffer could land in another test's hands. So this class runs alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PacketPoolCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Packet pool";
}

/// <summary>
/// Who returns a transmitted packet's pooled buffer, and when: never while anyone can still read it.
/// (Debug builds fill a released buffer with 0xDB, so a stack reading one would see bad checksums.)
/// </summary>
[Collection(PacketPoolCollection.Name)]
public sealed class PooledTransmitTests
{
    private static PooledPacket Packet(byte fill, int length = 100)
    {
        var packet = PooledPacket.Rent(length);
        packet.Span.Fill(fill);
        return packet;
    }

    private static List<byte[]> Record(ILink end)
    {
        var arrivals = new List<byte[]>();
        end.Inbound.Subscribe(p => arrivals.Add(p.ToArray()));
        return arrivals;
    }

    [Fact]
    public void The_wire_releases_a_packet_after_the_receiver_has_seen_it()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler);
        int referencesDuringDelivery = -1;
        PooledPacket? sent = null;
        var arrivals = new List<byte[]>();
        wire.EndB.Inbound.Subscribe(p =>
        {
            referencesDuringDelivery = sent!.References;
            arrivals.Add(p.ToArray());
        });

        sent = Packet(7);
        ((ILink)wire.EndA).Send(sent);
        Assert.Equal(1, sent.References);

        scheduler.AdvanceBy(1);
        Assert.Equal(1, referencesDuringDelivery);
        Assert.Equal(0, sent.References);
        Assert.All(Assert.Single(arrivals), b => Assert.Equal(7, b));
    }

    [Fact]
    public void A_duplicated_packet_is_released_after_its_second_delivery()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { Duplicate = 1, Delay = TimeSpan.FromMilliseconds(5), Jitter = TimeSpan.FromMilliseconds(4), Seed = 3 } });
        var arrivals = Record(wire.EndB);
        var sent = Packet(9);
        wire.EndA.Send(sent);
        Assert.Equal(2, sent.References);

        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(20).Ticks);
        Assert.Equal(2, arrivals.Count);
        Assert.All(arrivals, a => Assert.All(a, b => Assert.Equal(9, b)));
        Assert.Equal(0, sent.References);
    }

    [Fact]
    public void A_delayed_packet_is_held_until_delivered()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { Delay = TimeSpan.FromMilliseconds(10) } });
        var arrivals = Record(wire.EndB);
        var sent = Packet(5);
        wire.EndA.Send(sent);

        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(9).Ticks);
        Assert.Empty(arrivals);
        Assert.Equal(1, sent.References);

        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1).Ticks);
        Assert.Single(arrivals);
        Assert.Equal(0, sent.References);
    }

    [Fact]
    public void Lost_oversize_corrupted_and_stranded_packets_are_released()
    {
        var scheduler = new TestScheduler();
        var wire = new VirtualWire(scheduler, new VirtualWireOptions
        {
            Mtu = 200,
            AToB = new Impairments { Loss = 1 },
            BToA = new Impairments { Corrupt = 1, Seed = 1 },
        });
        var corrupted = Record(wire.EndA);

        var lost = Packet(1);
        wire.EndA.Send(lost);
        Assert.Equal(0, lost.References);

        var oversize = Packet(2, 300);
        wire.EndB.Send(oversize);
        Assert.Equal(0, oversize.References);

        // The damaged copy is an array of its own, so the pooled original is not needed any more.
        var damaged = Packet(3);
        wire.EndB.Send(damaged);
        Assert.Equal(0, damaged.References);
        scheduler.AdvanceBy(1);
        Assert.NotEqual(Enumerable.Repeat((byte)3, 100), Assert.Single(corrupted));

        var stranded = Packet(4);
        var clean = new VirtualWire(scheduler);
        clean.EndA.Send(stranded);
        clean.Dispose();
        Assert.Equal(0, stranded.References);

        var late = Packet(5);
        clean.EndA.Send(late);
        Assert.Equal(0, late.References);
        wire.Dispose();
    }

    [Fact]
    public void Capturing_and_pcap_links_keep_copies_and_pass_ownership_on()
    {
        var scheduler = new TestScheduler();
        using var capture = new CapturingLink(scheduler);
        var sent = Packet(6);
        ((ILink)capture).Send(sent);
        Assert.Equal(0, sent.References);
        Assert.All(Assert.Single(capture.SentPackets).Packet, b => Assert.Equal(6, b));

        using var file = new MemoryStream();
        using var writer = new PcapWriter(file, leaveOpen: true);
        var inner = new CapturingLink(scheduler);
        ILink pcap = new PcapLink(inner, writer, scheduler);
        var recorded = Packet(8);
        pcap.Send(recorded);
        Assert.Equal(0, recorded.References);
        Assert.Equal(1, writer.PacketCount);
        Assert.Single(inner.SentPackets);
        pcap.Dispose();
    }

    [Fact]
    public void A_link_without_its_own_pooled_send_gets_a_copy()
    {
        var plain = new PlainLink();
        var sent = Packet(4);
        ((ILink)plain).Send(sent);
        Assert.Equal(0, sent.References);
        Assert.All(Assert.Single(plain.Sent).ToArray(), b => Assert.Equal(4, b));
    }

    [Fact]
    public void Releasing_twice_is_refused_and_a_released_packet_cannot_be_read()
    {
        var packet = Packet(1);
        packet.Release();
        Assert.Throws<InvalidOperationException>(packet.Release);
        Assert.Throws<ObjectDisposedException>(() => packet.Memory);
        Assert.Throws<ObjectDisposedException>(() => packet.AddRef());
    }

    [Fact]
    public void Buffers_are_reused()
    {
        var first = PooledPacket.Rent(1500);
        first.Release();
        var reused = false;
        var held = new List<PooledPacket>();
        for (int i = 0; i < 64 && !reused; i++)
        {
            var next = PooledPacket.Rent(1400);
            reused = ReferenceEquals(next, first);
            held.Add(next);
        }
        held.ForEach(p => p.Release());
        Assert.True(reused);
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.0, 0)]
    [InlineData(0.3, 0.05, 0.0, 2)]
    [InlineData(0.2, 0.05, 0.05, 10)]
    public void Two_stacks_transfer_intact_over_a_wire_that_duplicates_delays_and_reorders(double duplicate, double loss, double reorder, int delayMs)
    {
        var impairments = new Impairments
        {
            Duplicate = duplicate,
            Loss = loss,
            Reorder = reorder,
            Delay = TimeSpan.FromMilliseconds(delayMs),
            Jitter = TimeSpan.FromMilliseconds(delayMs / 2.0),
            Seed = 11,
        };
        using var h = new TwoStackHarness(VirtualWireOptions.Symmetric(impairments));
        var (server, client) = h.Transfer(300_000, 200_000, seed: 5, limit: TimeSpan.FromMinutes(5));

        Assert.Null(server.Error);
        Assert.Null(client.Error);
        Assert.Equal(client.SentHash, server.ReceivedHash);
        Assert.Equal(server.SentHash, client.ReceivedHash);
        // A buffer released too early arrives as 0xDB garbage in Debug builds: bad checksums.
        foreach (var stack in new[] { h.Server, h.Client })
        {
            Assert.Equal(0, stack.Drops[DropReason.BadIpChecksum]);
            Assert.Equal(0, stack.Drops[DropReason.BadTcpChecksum]);
            Assert.Equal(0, stack.Drops[DropReason.NotIPv4]);
        }
    }

    private sealed class PlainLink : ILink
    {
        public List<ReadOnlyMemory<byte>> Sent { get; } = [];

        public IObservable<ReadOnlyMemory<byte>> Inbound { get; } = System.Reactive.Linq.Observable.Never<ReadOnlyMemory<byte>>();

        public int Mtu => 1500;

        public void Send(ReadOnlyMemory<byte> packet) => Sent.Add(packet);

        public void Dispose()
        {
        }
    }
}
