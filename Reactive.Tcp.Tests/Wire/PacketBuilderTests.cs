using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class PacketBuilderTests
{
    [Fact]
    public void Tcp_packets_round_trip_through_the_parser()
    {
        var random = new Random(2025);
        for (int i = 0; i < 2000; i++)
        {
            var written = RandomSegment(random);
            byte ttl = (byte)random.Next(1, 256);
            ushort id = (ushort)random.Next(65536);
            byte[] packet = PacketBuilder.BuildTcp(ClientAddress, ServerAddress, written, ttl, id);

            Assert.Equal(PacketBuilder.GetTcpPacketLength(written), packet.Length);
            Assert.Equal(0, ReferenceChecksum(packet.AsSpan(0, 20)));
            Assert.Equal(DropReason.None, PacketParser.Parse(packet, out var parsed));
            Assert.Equal(PacketKind.Tcp, parsed.Kind);
            Assert.Equal(packet.Length, parsed.Ip.TotalLength);
            Assert.True(parsed.Ip.DontFragment);
            Assert.Equal(ttl, parsed.Ip.Ttl);
            Assert.Equal(id, parsed.Ip.Identification);
            Assert.Equal(IpProtocol.Tcp, parsed.Ip.Protocol);
            Assert.Equal(ClientAddress, parsed.Ip.Source);
            Assert.Equal(ServerAddress, parsed.Ip.Destination);
            AssertSegmentRoundTrip(written, parsed.Tcp);
            Assert.Equal(new ConnectionKey(ServerAddress, written.DestinationPort, ClientAddress, written.SourcePort), parsed.TcpConnectionKey);
        }
    }

    [Fact]
    public void A_payload_in_two_slices_is_written_and_checksummed_like_one()
    {
        var random = new Random(77);
        for (int i = 0; i < 500; i++)
        {
            var whole = RandomSegment(random);
            var payload = whole.Payload;
            int cut = random.Next(payload.Length + 1);
            var split = whole;
            split.SetPayload(payload[..cut], payload[cut..]);
            Assert.Equal(payload.Length, split.PayloadLength);
            Assert.Equal(whole.SequenceLength, split.SequenceLength);
            Assert.Equal(payload.ToArray(), split.Payload.ToArray());

            byte[] expected = PacketBuilder.BuildTcp(ClientAddress, ServerAddress, whole);
            var written = new byte[expected.Length + 7];
            Assert.Equal(expected.Length, PacketBuilder.WriteTcp(written, ClientAddress, ServerAddress, split));
            Assert.Equal(expected, written[..expected.Length]);
            Assert.Equal(DropReason.None, PacketParser.Parse(written.AsSpan(0, expected.Length).ToArray(), out _));
        }
    }

    [Fact]
    public void WriteTcp_into_a_larger_pooled_buffer_matches_BuildTcp()
    {
        var segment = new TcpSegment { SourcePort = 1, DestinationPort = 2, Flags = TcpFlags.Ack | TcpFlags.Psh, Payload = new byte[] { 9, 8, 7 } };
        byte[] built = PacketBuilder.BuildTcp(ClientAddress, ServerAddress, segment);
        var pooled = new byte[2048];
        Array.Fill(pooled, (byte)0xCC);
        int n = PacketBuilder.WriteTcp(pooled, ClientAddress, ServerAddress, segment);
        Assert.Equal(built.Length, n);
        Assert.Equal(built, pooled.AsSpan(0, n).ToArray());
        Assert.Equal(0xCC, pooled[n]);
    }

    [Fact]
    public void Icmp_echo_packets_round_trip()
    {
        byte[] request = PacketBuilder.BuildIcmpEchoRequest(ClientAddress, ServerAddress, 77, 3, [1, 2, 3]);
        Assert.Equal(DropReason.None, PacketParser.Parse(request, out var req));
        Assert.Equal(PacketKind.IcmpEcho, req.Kind);
        Assert.Equal(IcmpType.EchoRequest, req.Icmp.Type);

        byte[] reply = PacketBuilder.BuildIcmpEchoReply(req.Ip.Destination, req.Ip.Source, req.Icmp.Identifier, req.Icmp.SequenceNumber, req.Icmp.Data.Span);
        Assert.Equal(PacketBuilder.GetIcmpEchoPacketLength(3), reply.Length);
        Assert.Equal(DropReason.None, PacketParser.Parse(reply, out var rep));
        Assert.Equal(IcmpType.EchoReply, rep.Icmp.Type);
        Assert.Equal(77, rep.Icmp.Identifier);
        Assert.Equal(3, rep.Icmp.SequenceNumber);
        Assert.Equal(ServerAddress, rep.Ip.Source);
        Assert.Equal(ClientAddress, rep.Ip.Destination);
        Assert.Equal(new byte[] { 1, 2, 3 }, rep.Icmp.Data.ToArray());
    }

    [Fact]
    public void Udp_packets_round_trip()
    {
        byte[] packet = PacketBuilder.BuildUdp(ClientAddress, ServerAddress, 5353, 53, [4, 5, 6, 7], ttl: 1);
        Assert.Equal(PacketBuilder.GetUdpPacketLength(4), packet.Length);
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out var p));
        Assert.Equal(PacketKind.Udp, p.Kind);
        Assert.Equal(1, p.Ip.Ttl);
        Assert.Equal(5353, p.Udp.SourcePort);
        Assert.Equal(53, p.Udp.DestinationPort);
        Assert.Equal(new byte[] { 4, 5, 6, 7 }, p.Udp.Payload.ToArray());
    }

    [Fact]
    public void Parser_ignores_link_padding_and_trims_Packet_to_total_length()
    {
        byte[] packet = PacketBuilder.BuildUdp(ClientAddress, ServerAddress, 1, 2, [1]);
        var padded = packet.Concat(new byte[17]).ToArray();
        Assert.Equal(DropReason.None, PacketParser.Parse(padded, out var p));
        Assert.Equal(packet.Length, p.Packet.Length);
        Assert.Equal(new byte[] { 1 }, p.Udp.Payload.ToArray());
    }

    [Fact]
    public void Oversized_or_undersized_requests_throw()
    {
        var huge = new TcpSegment { Payload = new byte[65535] };
        Assert.Throws<ArgumentException>(() => PacketBuilder.BuildTcp(ClientAddress, ServerAddress, huge));
        Assert.Throws<ArgumentException>(() => PacketBuilder.WriteUdp(new byte[28], ClientAddress, ServerAddress, 1, 2, [1]));
    }
}
