using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Wire;

public class EthernetCodecTests
{
    private static readonly MacAddress Station = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress Other = MacAddress.Parse("02:00:00:00:00:02");

    [Fact]
    public void Parses_a_golden_frame()
    {
        // A broadcast ARP request as tcpdump -xx shows it: dst, src, type 0x0806.
        var frame = Convert.FromHexString("ffffffffffff" + "020000000001" + "0806" + new string('0', 92));
        Assert.Equal(DropReason.None, EthernetCodec.TryParse(frame, out var header));
        Assert.Equal(MacAddress.Broadcast, header.Destination);
        Assert.Equal(Station, header.Source);
        Assert.Equal(EtherType.Arp, header.EtherType);
    }

    [Fact]
    public void Writes_what_it_parses()
    {
        var header = new EthernetHeader(Other, Station, EtherType.IPv4);
        var buffer = new byte[14];
        Assert.Equal(14, EthernetCodec.Write(buffer, header));
        Assert.Equal("020000000002" + "020000000001" + "0800", Convert.ToHexString(buffer).ToLowerInvariant());
        Assert.Equal(DropReason.None, EthernetCodec.TryParse(buffer, out var parsed));
        Assert.Equal(header, parsed);
        Assert.Throws<ArgumentException>(() => EthernetCodec.Write(new byte[13], header));
    }

    [Fact]
    public void Short_frames_are_truncated()
    {
        for (int length = 0; length < 14; length++)
            Assert.Equal(DropReason.Truncated, EthernetCodec.TryParse(new byte[length], out _));
        // Shorter than the 60-byte minimum is fine: a TAP device hands over unpadded frames.
        Assert.Equal(DropReason.None, EthernetCodec.TryParse(EthernetCodec.BuildFrame(new EthernetHeader(Other, Station, EtherType.Arp), [])[..14], out _));
    }

    [Theory]
    [InlineData(0x8100)]
    [InlineData(0x88A8)]
    public void Vlan_tagged_frames_are_recognised_for_dropping(int tpid)
    {
        var frame = new byte[64];
        Other.Write(frame);
        Station.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), (ushort)tpid);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 0x0064); // PCP 0, VID 100
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800);
        Assert.Equal(DropReason.VlanTagged, EthernetCodec.TryParse(frame, out var header));
        Assert.Equal(Station, header.Source); // still filled, for logs
    }

    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x0026)] // an STP BPDU's 802.3 length
    [InlineData(0x05DC)]
    [InlineData(0x05FF)]
    public void Ieee_802_3_length_fields_are_not_ethernet_II(int type)
    {
        var frame = new byte[60];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), (ushort)type);
        Assert.Equal(DropReason.NotEthernetII, EthernetCodec.TryParse(frame, out _));
    }

    [Theory]
    [InlineData(0, 60)]
    [InlineData(28, 60)]
    [InlineData(46, 60)]
    [InlineData(47, 61)]
    [InlineData(1500, 1514)]
    public void Short_payloads_are_padded_with_zeros_to_60_bytes(int payloadLength, int frameLength)
    {
        var payload = Enumerable.Range(1, payloadLength).Select(i => (byte)i).ToArray();
        var frame = EthernetCodec.BuildFrame(new EthernetHeader(Other, Station, EtherType.IPv4), payload);
        Assert.Equal(frameLength, frame.Length);
        Assert.Equal(frameLength, EthernetCodec.GetFrameLength(payloadLength));
        Assert.Equal(payload, frame[14..(14 + payloadLength)]);
        Assert.All(frame[(14 + payloadLength)..], b => Assert.Equal(0, b));

        // Padding is written, not assumed: a dirty buffer comes out clean.
        var dirty = Enumerable.Repeat((byte)0xEE, 2000).ToArray();
        Assert.Equal(frameLength, EthernetCodec.WriteFrame(dirty, new EthernetHeader(Other, Station, EtherType.IPv4), payload));
        Assert.Equal(frame, dirty[..frameLength]);
        Assert.Throws<ArgumentException>(() => EthernetCodec.WriteFrame(new byte[frameLength - 1], new EthernetHeader(Other, Station, EtherType.IPv4), payload));
    }

    [Fact]
    public void Ipv4_padding_is_trimmed_to_the_total_length()
    {
        // A 40-byte TCP ACK in a minimum frame: 6 bytes of padding follow it.
        var packet = PacketBuilder.BuildTcp(IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"),
            new TcpSegment { SourcePort = 1, DestinationPort = 2, Flags = TcpFlags.Ack, Window = 100 });
        Assert.Equal(40, packet.Length);
        var frame = EthernetCodec.BuildFrame(new EthernetHeader(Other, Station, EtherType.IPv4), packet);
        Assert.Equal(60, frame.Length);
        var payload = frame.AsMemory(14);
        Assert.Equal(46, payload.Length);

        var trimmed = EthernetCodec.TrimToIpv4TotalLength(payload);
        Assert.Equal(packet, trimmed.ToArray());
        Assert.Equal(40, EthernetCodec.TrimToIpv4TotalLength(payload.Span).Length);
        Assert.Equal(DropReason.None, PacketParser.Parse(trimmed, out var parsed));
        Assert.Equal(PacketKind.Tcp, parsed.Kind);
        Assert.Equal(0, parsed.Tcp.PayloadLength);
    }

    [Fact]
    public void Implausible_ipv4_payloads_are_left_for_the_ipv4_codec_to_reject()
    {
        var packet = PacketBuilder.BuildUdp(IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"), 1, 2, [1, 2, 3]);
        var claimsMore = packet.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(claimsMore.AsSpan(2), (ushort)(packet.Length + 1));
        var claimsTooLittle = packet.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(claimsTooLittle.AsSpan(2), 19);
        var ipv6 = packet.ToArray();
        ipv6[0] = 0x60;
        foreach (var payload in new[] { claimsMore, claimsTooLittle, ipv6, [0x45, 0], [] })
            Assert.Equal(payload.Length, EthernetCodec.TrimToIpv4TotalLength(payload.AsMemory()).Length);
        Assert.Equal(DropReason.BadTotalLength, Ipv4Codec.TryParse(EthernetCodec.TrimToIpv4TotalLength(claimsMore.AsSpan()), out _));
    }
}
