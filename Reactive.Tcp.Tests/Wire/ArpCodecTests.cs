using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Wire;

public class ArpCodecTests
{
    private static readonly MacAddress Station = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress Kernel = MacAddress.Parse("ee:1a:2b:3c:4d:5e");
    private static readonly IPv4Address StationIp = IPv4Address.Parse("192.0.2.2");
    private static readonly IPv4Address KernelIp = IPv4Address.Parse("192.0.2.1");

    // "Request who-has 192.0.2.1 tell 192.0.2.2" byte for byte, as RFC 826 lays it out.
    private const string GoldenRequest =
        "0001" + "0800" + "06" + "04" + "0001" + "020000000001" + "c0000202" + "000000000000" + "c0000201";

    [Fact]
    public void Parses_a_golden_request()
    {
        Assert.Equal(DropReason.None, ArpCodec.TryParse(Convert.FromHexString(GoldenRequest), out var arp));
        Assert.Equal(ArpPacket.Request(Station, StationIp, KernelIp), arp);
        Assert.Equal(ArpOperation.Request, arp.Operation);
        Assert.False(arp.IsGratuitous);
        Assert.False(arp.IsProbe);
        Assert.Equal("Request who-has 192.0.2.1 tell 192.0.2.2 (02:00:00:00:00:01)", arp.ToString());
    }

    [Fact]
    public void Writes_a_golden_request_and_reply()
    {
        var buffer = new byte[28];
        Assert.Equal(28, ArpCodec.Write(buffer, ArpPacket.Request(Station, StationIp, KernelIp)));
        Assert.Equal(GoldenRequest, Convert.ToHexString(buffer).ToLowerInvariant());

        ArpCodec.Write(buffer, ArpPacket.Reply(Kernel, KernelIp, Station, StationIp));
        Assert.Equal("0001" + "0800" + "06" + "04" + "0002" + "ee1a2b3c4d5e" + "c0000201" + "020000000001" + "c0000202",
            Convert.ToHexString(buffer).ToLowerInvariant());
        Assert.Throws<ArgumentException>(() => ArpCodec.Write(new byte[27], default));
    }

    [Fact]
    public void Round_trips_random_packets()
    {
        var rng = new Random(826);
        var buffer = new byte[28];
        for (int i = 0; i < 500; i++)
        {
            var arp = new ArpPacket(rng.Next(2) == 0 ? ArpOperation.Request : ArpOperation.Reply,
                new MacAddress((ulong)rng.NextInt64(1L << 48)), new IPv4Address((uint)rng.NextInt64(1L << 32)),
                new MacAddress((ulong)rng.NextInt64(1L << 48)), new IPv4Address((uint)rng.NextInt64(1L << 32)));
            ArpCodec.Write(buffer, arp);
            Assert.Equal(DropReason.None, ArpCodec.TryParse(buffer, out var parsed));
            Assert.Equal(arp, parsed);
        }
    }

    [Fact]
    public void Builds_a_padded_frame_from_the_sender()
    {
        var arp = ArpPacket.Reply(Station, StationIp, Kernel, KernelIp);
        var frame = ArpCodec.BuildFrame(Kernel, arp);
        Assert.Equal(60, frame.Length);
        Assert.Equal(DropReason.None, EthernetCodec.TryParse(frame, out var header));
        Assert.Equal(new EthernetHeader(Kernel, Station, EtherType.Arp), header);
        Assert.Equal(DropReason.None, ArpCodec.TryParse(frame.AsSpan(14), out var parsed)); // padding ignored
        Assert.Equal(arp, parsed);
        Assert.All(frame[42..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Announcements_and_probes_have_their_RFC_5227_shape()
    {
        var announcement = ArpPacket.Announcement(Station, StationIp);
        Assert.Equal(ArpOperation.Request, announcement.Operation);
        Assert.Equal(StationIp, announcement.SenderIp);
        Assert.Equal(StationIp, announcement.TargetIp);
        Assert.True(announcement.TargetMac.IsZero);
        Assert.True(announcement.IsGratuitous);
        Assert.True(ArpPacket.GratuitousReply(Station, StationIp).IsGratuitous);
        Assert.True(new ArpPacket(ArpOperation.Request, Station, IPv4Address.Any, MacAddress.Zero, StationIp).IsProbe);
    }

    [Fact]
    public void Truncated_packets_are_reported()
    {
        var packet = Convert.FromHexString(GoldenRequest);
        for (int length = 0; length < 28; length++)
            Assert.Equal(DropReason.Truncated, ArpCodec.TryParse(packet.AsSpan(0, length), out _));
    }

    [Theory]
    [InlineData(0, 0x0006, DropReason.ArpUnsupportedHardware)] // hardware type IEEE 802
    [InlineData(4, 0x0800, DropReason.ArpUnsupportedHardware)] // hlen 8 in the high byte
    [InlineData(2, 0x86DD, DropReason.ArpUnsupportedProtocol)] // protocol IPv6
    [InlineData(4, 0x0610, DropReason.ArpUnsupportedProtocol)] // hlen 6, plen 16
    [InlineData(6, 0x0003, DropReason.ArpBadOperation)]        // RARP request
    [InlineData(6, 0x0000, DropReason.ArpBadOperation)]
    public void Other_hardware_protocols_and_operations_have_their_own_reasons(int offset, int value, DropReason reason)
    {
        var packet = Convert.FromHexString(GoldenRequest);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset), (ushort)value);
        Assert.Equal(reason, ArpCodec.TryParse(packet, out var parsed));
        Assert.Equal(default, parsed);
    }

    [Fact]
    public void A_short_packet_for_another_hardware_type_is_reported_as_that()
    {
        // Eight bytes are enough to see it is not Ethernet/IPv4, whatever its addresses' sizes.
        var packet = Convert.FromHexString(GoldenRequest)[..10];
        BinaryPrimitives.WriteUInt16BigEndian(packet, 6);
        Assert.Equal(DropReason.ArpUnsupportedHardware, ArpCodec.TryParse(packet, out _));
    }
}
