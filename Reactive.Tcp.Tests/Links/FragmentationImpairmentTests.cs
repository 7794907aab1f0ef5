using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Links;

/// <summary>The fragmenting impairment and the bottleneck router that answers with ICMP fragmentation needed.</summary>
public sealed class FragmentationImpairmentTests
{
    private static readonly IPv4Address A = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address B = IPv4Address.Parse("192.0.2.2");
    private static readonly IPv4Address Router = IPv4Address.Parse("203.0.113.1");

    private static byte[] Udp(int length, ushort id = 9)
    {
        var packet = PacketBuilder.BuildUdp(A, B, 1, 2, new byte[length]);
        Ipv4Fragmenter.SetIdentification(packet, id);
        return packet;
    }

    private static byte[] Tcp(int length) =>
        PacketBuilder.BuildTcp(A, B, new TcpSegment { SourcePort = 1, DestinationPort = 2, Seq = new SeqNum(77), Flags = TcpFlags.Ack, Payload = new byte[length] });

    private static List<byte[]> Through(Func<IObservable<ReadOnlyMemory<byte>>, IObservable<ReadOnlyMemory<byte>>> impair, params byte[][] packets)
    {
        var output = new List<byte[]>();
        var source = new Subject<ReadOnlyMemory<byte>>();
        using var _ = impair(source).Subscribe(p => output.Add(p.ToArray()));
        foreach (var p in packets) source.OnNext(p);
        return output;
    }

    private static int OffsetOf(byte[] fragment) => (((fragment[6] & 0x1F) << 8) | fragment[7]) * 8;

    [Fact]
    public void Fragment_splits_large_packets_in_order_or_reversed()
    {
        var inOrder = Through(s => s.Fragment(576), Udp(2000));
        Assert.Equal(4, inOrder.Count);
        Assert.Equal(new[] { 0, 552, 1104, 1656 }, inOrder.Select(OffsetOf));
        Assert.All(inOrder, f => Assert.True(f.Length <= 576));

        var reversed = Through(s => s.Fragment(576, reverse: true), Udp(2000));
        Assert.Equal(new[] { 1656, 1104, 552, 0 }, reversed.Select(OffsetOf));
    }

    [Fact]
    public void Fragment_leaves_small_dont_fragment_and_non_ipv4_packets_alone()
    {
        var small = Udp(100);
        var df = Tcp(1000);
        var junk = new byte[700];
        var output = Through(s => s.Fragment(576), small, df, junk);
        Assert.Equal(new[] { small, df, junk }, output);

        var forced = Through(s => s.Fragment(576, ignoreDontFragment: true), df);
        Assert.Equal(2, forced.Count);
    }

    [Fact]
    public void Bottleneck_drops_too_big_df_packets_and_answers_with_frag_needed_on_the_scheduler()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler);
        using var router = new BottleneckRouterLink(wire.EndA, 1280, Router, scheduler);
        var delivered = new List<byte[]>();
        var errors = new List<byte[]>();
        using var atB = wire.EndB.Inbound.Subscribe(p => delivered.Add(p.ToArray()));
        using var atA = router.Inbound.Subscribe(p => errors.Add(p.ToArray()));

        var big = Tcp(1400);
        router.Send(big);
        Assert.Empty(errors); // not from inside Send
        scheduler.AdvanceBy(1);

        Assert.Empty(delivered);
        Assert.Equal(1, router.TooBigDropped);
        var error = Assert.Single(errors);
        Assert.Equal(DropReason.None, PacketParser.Parse(error, out var parsed));
        Assert.Equal(PacketKind.IcmpError, parsed.Kind);
        Assert.Equal(Router, parsed.Ip.Source);
        Assert.Equal(A, parsed.Ip.Destination);
        Assert.Equal(UnreachableCode.FragmentationNeeded, parsed.IcmpError.Code);
        Assert.Equal(1280, parsed.IcmpError.NextHopMtu);
        Assert.Equal(77u, parsed.IcmpError.QuotedSeq.Value);
    }

    [Fact]
    public void Bottleneck_fragments_packets_without_df_and_forwards_small_ones_whole()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler);
        using var router = new BottleneckRouterLink(wire.EndA, 1280, Router, scheduler);
        var delivered = new List<byte[]>();
        using var atB = wire.EndB.Inbound.Subscribe(p => delivered.Add(p.ToArray()));

        router.Send(Udp(3000));
        router.Send(Tcp(1000));
        scheduler.AdvanceBy(1);
        Assert.Equal(4, delivered.Count); // three fragments and the small segment
        Assert.All(delivered, p => Assert.True(p.Length <= 1280));
        Assert.Equal(0, router.TooBigDropped);
    }

    [Fact]
    public void Bottleneck_releases_a_pooled_packet_it_drops()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler);
        using var router = new BottleneckRouterLink(wire.EndA, 1280, Router, scheduler);
        var pooled = PooledPacket.CopyOf(Tcp(1400));
        router.Send(pooled);
        Assert.Equal(0, pooled.References);
    }
}
