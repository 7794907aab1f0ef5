using System.Buffers.Binary;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Diagnostics;

namespace Reactive.Tcp.Tests.Links;

public sealed class PcapLinkTypeTests
{
    private static uint LinkTypeOf(byte[] file) => BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20));

    [Fact]
    public void Raw_ip_stays_the_default_and_ethernet_is_link_type_1()
    {
        var raw = new MemoryStream();
        using (var writer = new PcapWriter(raw, leaveOpen: true)) Assert.Equal(PcapLinkType.Raw, writer.LinkType);
        Assert.Equal(101u, LinkTypeOf(raw.ToArray()));

        var ethernet = new MemoryStream();
        var frame = ArpCodec.BuildFrame(MacAddress.Broadcast, ArpPacket.Request(MacAddress.Parse("02:00:00:00:00:01"), IPv4Address.Parse("192.0.2.2"), IPv4Address.Parse("192.0.2.1")));
        using (var writer = new PcapWriter(ethernet, PcapLinkType.Ethernet, leaveOpen: true))
        {
            Assert.Equal(PcapLinkType.Ethernet, writer.LinkType);
            writer.Write(frame, DateTimeOffset.UnixEpoch);
        }
        var file = ethernet.ToArray();
        Assert.Equal(1u, LinkTypeOf(file));
        Assert.Equal(24 + 16 + 60, file.Length);
        Assert.Equal(frame, file[40..]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PcapWriter(new MemoryStream(), (PcapLinkType)7));
    }

    [Fact]
    public void A_switch_port_can_be_recorded_with_an_ethernet_capture()
    {
        var scheduler = new TestScheduler();
        using var segment = new VirtualSwitch(scheduler);
        var stream = new MemoryStream();
        using var writer = new PcapWriter(stream, PcapLinkType.Ethernet, leaveOpen: true);
        var a = segment.AddPort();
        var recorded = a.WithPcap(writer, scheduler);
        var b = segment.AddPort();
        recorded.Inbound.Subscribe(_ => { });
        recorded.Send(EthernetCodec.BuildFrame(new EthernetHeader(MacAddress.Broadcast, a.Address, EtherType.Arp), new byte[28]));
        b.Send(EthernetCodec.BuildFrame(new EthernetHeader(a.Address, b.Address, EtherType.Arp), new byte[28]));
        scheduler.AdvanceBy(1);
        Assert.Equal(2, writer.PacketCount);
    }
}
