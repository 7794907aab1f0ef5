using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Links;

/// <summary>The ECN-aware queue impairment: ECT packets are marked CE, Not-ECT ones dropped.</summary>
public sealed class CongestionMarkTests
{
    private static readonly IPv4Address A = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address B = IPv4Address.Parse("192.0.2.2");

    private static byte[] TcpPacket(IpEcn ecn, uint seq) => PacketBuilder.BuildTcp(A, B, new TcpSegment
    {
        SourcePort = 1, DestinationPort = 2, Seq = new SeqNum(seq), Flags = TcpFlags.Ack, Window = 100,
        Payload = new byte[] { 1, 2, 3 }, Ecn = ecn,
    });

    [Theory]
    [InlineData(IpEcn.Ect0)]
    [InlineData(IpEcn.Ect1)]
    public void Ect_packets_arrive_marked_ce_with_a_valid_header_and_the_original_untouched(IpEcn ecn)
    {
        var original = TcpPacket(ecn, 7);
        var copy = original.ToArray();
        var source = new Subject<ReadOnlyMemory<byte>>();
        var arrived = new List<ReadOnlyMemory<byte>>();
        using var _ = source.MarkCongestion(1.0, new Random(1)).Subscribe(arrived.Add);
        source.OnNext(original);

        var marked = Assert.Single(arrived);
        Assert.Equal(DropReason.None, PacketParser.Parse(marked, out var packet)); // checksums still verify
        Assert.Equal(IpEcn.Ce, packet.Tcp.Ecn);
        Assert.Equal(7u, packet.Tcp.Seq.Value);
        Assert.Equal(copy, original); // the sender's buffer is never written
    }

    [Fact]
    public void Not_ect_packets_are_dropped_and_ce_ones_pass_as_they_are()
    {
        var source = new Subject<ReadOnlyMemory<byte>>();
        var arrived = new List<ReadOnlyMemory<byte>>();
        using var _ = source.MarkCongestion(1.0, new Random(1)).Subscribe(arrived.Add);
        var ce = TcpPacket(IpEcn.Ce, 2);
        source.OnNext(TcpPacket(IpEcn.NotEct, 1));
        source.OnNext(ce);
        source.OnNext(new byte[] { 1, 2, 3 }); // not IPv4: nothing to mark, so dropped

        var only = Assert.Single(arrived);
        Assert.True(only.Equals((ReadOnlyMemory<byte>)ce));
    }

    [Fact]
    public void Virtual_wire_marks_and_drops_about_p_and_counts_both()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { CongestionMark = 0.25, Seed = 3 } });
        var arrived = new List<InboundPacket>();
        using var _ = wire.EndB.Inbound.Subscribe(p =>
        {
            Assert.Equal(DropReason.None, PacketParser.Parse(p, out var packet));
            arrived.Add(packet);
        });
        for (uint i = 0; i < 2000; i++) wire.EndA.Send(TcpPacket(i % 2 == 0 ? IpEcn.Ect0 : IpEcn.NotEct, i));
        scheduler.Start();

        var counters = wire.AToBCounters;
        Assert.InRange(counters.Marked, 180, 320);            // about a quarter of the 1000 ECT packets
        Assert.InRange(counters.CongestionDropped, 180, 320); // about a quarter of the 1000 others
        Assert.Equal(2000 - counters.CongestionDropped, arrived.Count);
        Assert.Equal(counters.Marked, arrived.Count(p => p.Tcp.Ecn == IpEcn.Ce));
        Assert.All(arrived.Where(p => p.Tcp.Ecn == IpEcn.Ce), p => Assert.Equal(0u, p.Tcp.Seq.Value % 2));
    }
}
