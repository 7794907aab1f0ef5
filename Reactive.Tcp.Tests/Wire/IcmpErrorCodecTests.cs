using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class IcmpErrorCodecTests
{
    private static readonly TcpSegment Quoted = new() { SourcePort = 40000, DestinationPort = 80, Seq = new SeqNum(0xFEDCBA98), Ack = new SeqNum(5), Flags = TcpFlags.Ack, Window = 100, Payload = new byte[1460] };

    [Fact]
    public void Parses_fragmentation_needed_built_by_hand()
    {
        var offending = PacketBuilder.BuildTcp(ClientAddress, ServerAddress, Quoted);
        // A router's message, assembled by the independent helpers: MTU in the low half of the second word.
        var icmp = RawIcmp(3, 4, 0, 1280, offending[..28]);

        Assert.Equal(DropReason.None, IcmpCodec.TryParseError(icmp, out var error));
        Assert.Equal(UnreachableCode.FragmentationNeeded, error.Code);
        Assert.Equal(1280, error.NextHopMtu);
        Assert.Equal(ClientAddress, error.QuotedSource);
        Assert.Equal(ServerAddress, error.QuotedDestination);
        Assert.Equal(IpProtocol.Tcp, error.QuotedProtocol);
        Assert.True(error.QuotesTransportHeader);
        Assert.Equal(40000, error.QuotedSourcePort);
        Assert.Equal(80, error.QuotedDestinationPort);
        Assert.Equal(0xFEDCBA98u, error.QuotedSeq.Value);
    }

    [Fact]
    public void Next_hop_mtu_is_read_only_for_fragmentation_needed()
    {
        var offending = PacketBuilder.BuildTcp(ClientAddress, ServerAddress, Quoted);
        Assert.Equal(DropReason.None, IcmpCodec.TryParseError(RawIcmp(3, 1, 0, 1280, offending[..28]), out var error));
        Assert.Equal(UnreachableCode.Host, error.Code);
        Assert.Equal(0, error.NextHopMtu);
    }

    [Fact]
    public void Built_port_unreachable_quotes_header_and_8_bytes_with_a_valid_checksum()
    {
        var offending = PacketBuilder.BuildUdp(ClientAddress, ServerAddress, 5353, 9999, new byte[100]);
        var packet = PacketBuilder.BuildDestinationUnreachable(ServerAddress, offending, UnreachableCode.Port);

        Assert.Equal(20 + 8 + 28, packet.Length);
        Assert.Equal(0, ReferenceChecksum(packet.AsSpan(0, 20)));
        Assert.Equal(0, ReferenceChecksum(packet.AsSpan(20)));
        Assert.Equal(3, packet[20]);
        Assert.Equal(3, packet[21]);
        Assert.Equal(offending[..28], packet[28..]);
        Assert.Equal(ClientAddress, IPv4Address.Read(packet.AsSpan(16)));

        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out var parsed));
        Assert.Equal(PacketKind.IcmpError, parsed.Kind);
        Assert.Equal(UnreachableCode.Port, parsed.IcmpError.Code);
        Assert.Equal(IpProtocol.Udp, parsed.IcmpError.QuotedProtocol);
        Assert.Equal(9999, parsed.IcmpError.QuotedDestinationPort);
    }

    [Fact]
    public void Fragmentation_needed_carries_the_mtu_in_the_second_word()
    {
        var offending = PacketBuilder.BuildTcp(ClientAddress, ServerAddress, Quoted);
        var packet = PacketBuilder.BuildDestinationUnreachable(IPv4Address.Parse("203.0.113.1"), offending, UnreachableCode.FragmentationNeeded, 1280);
        Assert.Equal(1280, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(26)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(24)));
    }

    [Fact]
    public void A_quoted_later_fragment_has_no_transport_header()
    {
        var fragment = Ipv4Fragmenter.Build(new Ipv4Header { Source = ClientAddress, Destination = ServerAddress, Protocol = IpProtocol.Udp, Identification = 9 }, 1480, false, new byte[16]);
        Assert.Equal(DropReason.None, IcmpCodec.TryParseError(RawIcmp(3, 3, 0, 0, fragment[..28]), out var error));
        Assert.False(error.QuotesTransportHeader);
    }

    [Fact]
    public void Malformed_errors_are_rejected_for_the_right_reason()
    {
        var offending = PacketBuilder.BuildTcp(ClientAddress, ServerAddress, Quoted);
        Assert.Equal(DropReason.Truncated, IcmpCodec.TryParseError(new byte[7], out _));
        var bad = RawIcmp(3, 4, 0, 1280, offending[..28]);
        bad[^1] ^= 1;
        Assert.Equal(DropReason.BadIcmpChecksum, IcmpCodec.TryParseError(bad, out _));
        Assert.Equal(DropReason.UnsupportedIcmp, IcmpCodec.TryParseError(RawIcmp(11, 0, 0, 0, offending[..28]), out _));
        Assert.Equal(DropReason.BadIcmpQuote, IcmpCodec.TryParseError(RawIcmp(3, 4, 0, 1280, offending[..27]), out _));
        var ihl15 = offending[..40];
        ihl15[0] = 0x4F; // claims 60 header bytes, so the 8 transport bytes are missing
        Assert.Equal(DropReason.BadIcmpQuote, IcmpCodec.TryParseError(RawIcmp(3, 4, 0, 1280, ihl15), out _));
    }
}
