using System.Buffers.Binary;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// The virtio header in front of packets read from a TUN device with offload: a partial TCP
/// checksum (the pseudo-header sum, as the kernel leaves it) is completed so that the packet
/// parses as valid; headers that do not fit the packet, or ask for an offload we never offered,
/// are refused. No device needed: the frames are built here the way the kernel lays them out.
/// </summary>
public class VirtioNetHeaderTests
{
    private static readonly IPv4Address Kernel = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address Stack = IPv4Address.Parse("192.0.2.2");

    [Theory]
    [InlineData(1, VirtioNetHeader.GsoNone)]
    [InlineData(3000, VirtioNetHeader.GsoTcpV4)]
    [InlineData(65000, VirtioNetHeader.GsoTcpV4)]
    [InlineData(3001, VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn)]
    public void A_partial_checksum_is_completed_and_the_packet_parses(int payloadLength, byte gsoType)
    {
        var frame = KernelFrame(payloadLength, gsoType, out var payload);

        var outcome = VirtioNetHeader.TryUnwrap(frame);

        Assert.Equal(gsoType == VirtioNetHeader.GsoNone ? VirtioNetHeader.Outcome.Plain : VirtioNetHeader.Outcome.SuperSegment, outcome);
        var packet = frame.AsMemory(VirtioNetHeader.Size);
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out var parsed));
        Assert.Equal(payload, parsed.Tcp.Payload.ToArray());
    }

    [Fact]
    public void Without_completion_the_same_packet_fails_its_checksum()
    {
        // The control for the test above: the kernel's frame as it comes is not a valid packet.
        var frame = KernelFrame(3000, VirtioNetHeader.GsoTcpV4, out _);
        Assert.Equal(DropReason.BadTcpChecksum, PacketParser.Parse(frame.AsMemory(VirtioNetHeader.Size), out _));
    }

    [Theory]
    [InlineData(6, 0xFFFF)]  // checksum start beyond the packet
    [InlineData(8, 0xFFF0)]  // checksum offset beyond the packet
    [InlineData(1, 3)]       // gso_type UDP: never offered
    [InlineData(1, 4)]       // gso_type TCPv6: never offered
    public void Inconsistent_headers_are_refused(int field, int value)
    {
        var frame = KernelFrame(100, VirtioNetHeader.GsoTcpV4, out _);
        if (field == 1) frame[1] = (byte)value;
        else BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(field), (ushort)value);
        Assert.Equal(VirtioNetHeader.Outcome.Malformed, VirtioNetHeader.TryUnwrap(frame));
    }

    [Fact]
    public void A_super_segment_we_send_gets_a_TSO_header_and_a_checksum_seed_the_kernel_can_complete()
    {
        var segment = new TcpSegment
        {
            SourcePort = 80, DestinationPort = 40000, Seq = new SeqNum(1001), Ack = new SeqNum(5001),
            Flags = TcpFlags.Ack, Window = 65535, Payload = Enumerable.Range(0, 20_000).Select(i => (byte)i).ToArray(),
        };
        var packet = PacketBuilder.BuildTcp(Stack, Kernel, segment);
        var frame = new byte[VirtioNetHeader.Size + packet.Length];
        packet.CopyTo(frame, VirtioNetHeader.Size);

        Assert.True(VirtioNetHeader.TryWriteSuperSegment(frame.AsSpan(0, VirtioNetHeader.Size), frame.AsSpan(VirtioNetHeader.Size), mtu: 1500));

        Assert.Equal(VirtioNetHeader.NeedsChecksum, frame[0]);
        Assert.Equal(VirtioNetHeader.GsoTcpV4, frame[1]);
        Assert.Equal(40, BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(2)));    // hdr_len
        Assert.Equal(1460, BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(4)));  // gso_size: one MTU's payload
        Assert.Equal(20, BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(6)));    // csum_start
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(8)));    // csum_offset
        // Completing the seed the way the kernel does gives back a valid packet, equal to the original.
        Assert.Equal(VirtioNetHeader.Outcome.SuperSegment, VirtioNetHeader.TryUnwrap(frame));
        Assert.Equal(packet, frame.AsSpan(VirtioNetHeader.Size).ToArray());
    }

    [Fact]
    public void Only_TCP_over_IPv4_is_offered_for_segmentation()
    {
        var icmp = PacketBuilder.BuildIcmpEchoRequest(Stack, Kernel, 1, 1, new byte[3000]);
        var header = new byte[VirtioNetHeader.Size];
        var copy = (byte[])icmp.Clone();
        Assert.False(VirtioNetHeader.TryWriteSuperSegment(header, copy, mtu: 1500));
        Assert.Equal(icmp, copy);
    }

    [Fact]
    public void A_frame_no_longer_than_the_header_is_refused() =>
        Assert.Equal(VirtioNetHeader.Outcome.Malformed, VirtioNetHeader.TryUnwrap(new byte[VirtioNetHeader.Size]));

    [Fact]
    public void The_header_for_our_own_packets_is_all_zero()
    {
        var header = new byte[VirtioNetHeader.Size];
        Array.Fill(header, (byte)0xAB);
        VirtioNetHeader.WritePlain(header);
        Assert.All(header, b => Assert.Equal(0, b));
    }

    /// <summary>
    /// A TCP/IPv4 packet as the kernel writes it with checksum offload: a correct IPv4 header, the
    /// TCP checksum field holding the folded pseudo-header sum (not complemented), and the header
    /// NEEDS_CSUM with csum_start = the TCP header, csum_offset = 16.
    /// </summary>
    private static byte[] KernelFrame(int payloadLength, byte gsoType, out byte[] payload)
    {
        payload = new byte[payloadLength];
        new Random(payloadLength).NextBytes(payload);
        var segment = new TcpSegment
        {
            SourcePort = 40000,
            DestinationPort = 80,
            Seq = new SeqNum(5001),
            Ack = new SeqNum(1001),
            Flags = TcpFlags.Ack | TcpFlags.Psh,
            Window = 65535,
            Payload = payload,
        };
        var packet = PacketBuilder.BuildTcp(Kernel, Stack, segment);
        int ipHeader = (packet[0] & 0x0F) * 4;
        int tcpLength = packet.Length - ipHeader;
        uint pseudo = Checksum.PseudoHeader(Kernel, Stack, IpProtocol.Tcp, tcpLength);
        while (pseudo > 0xFFFF) pseudo = (pseudo & 0xFFFF) + (pseudo >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(ipHeader + 16), (ushort)pseudo);

        var frame = new byte[VirtioNetHeader.Size + packet.Length];
        frame[0] = VirtioNetHeader.NeedsChecksum;
        frame[1] = gsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(2), (ushort)(ipHeader + 20));   // hdr_len
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), 1448);                      // gso_size
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(6), (ushort)ipHeader);          // csum_start
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(8), 16);                        // csum_offset
        packet.CopyTo(frame, VirtioNetHeader.Size);
        return frame;
    }
}
