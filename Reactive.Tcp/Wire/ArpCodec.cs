using System.Buffers.Binary;

namespace Reactive.Tcp.Wire;

/// <summary>
/// Reads and writes ARP packets for IPv4 over Ethernet (RFC 826: hardware type 1, protocol type
/// 0x0800, address lengths 6 and 4, operation request or reply). Never throws on malformed input:
/// it reports a <see cref="DropReason"/>. Whether a well-formed packet should be learned from or
/// answered is the neighbour cache's decision, not the codec's.
/// </summary>
public static class ArpCodec
{
    /// <summary>Length of an Ethernet/IPv4 ARP packet: 8 fixed bytes and two 10-byte address pairs.</summary>
    public const int Length = 28;

    /// <summary><c>ar$hrd</c> for Ethernet.</summary>
    public const ushort HardwareTypeEthernet = 1;

    /// <summary>Length of the fixed part that says what kind of ARP packet this is (types, lengths, operation).</summary>
    private const int FixedLength = 8;

    /// <summary>
    /// Parses and validates an ARP packet. Bytes past <see cref="Length"/> (Ethernet padding) are ignored.
    /// </summary>
    /// <param name="arp">The frame's payload, starting at the hardware type.</param>
    /// <param name="packet">The packet on success; default otherwise.</param>
    /// <returns><see cref="DropReason.None"/> on success; <see cref="DropReason.Truncated"/>,
    /// <see cref="DropReason.ArpUnsupportedHardware"/>, <see cref="DropReason.ArpUnsupportedProtocol"/>
    /// or <see cref="DropReason.ArpBadOperation"/> otherwise.</returns>
    public static DropReason TryParse(ReadOnlySpan<byte> arp, out ArpPacket packet)
    {
        packet = default;
        if (arp.Length < FixedLength) return DropReason.Truncated;
        // The types come before the length check: an ARP for another hardware or protocol is
        // reported as what it is, even when its (differently sized) addresses make it shorter.
        if (BinaryPrimitives.ReadUInt16BigEndian(arp) != HardwareTypeEthernet || arp[4] != MacAddress.Length)
            return DropReason.ArpUnsupportedHardware;
        if (BinaryPrimitives.ReadUInt16BigEndian(arp[2..]) != (ushort)EtherType.IPv4 || arp[5] != 4)
            return DropReason.ArpUnsupportedProtocol;
        if (arp.Length < Length) return DropReason.Truncated;
        var operation = (ArpOperation)BinaryPrimitives.ReadUInt16BigEndian(arp[6..]);
        if (operation is not (ArpOperation.Request or ArpOperation.Reply)) return DropReason.ArpBadOperation;
        packet = new ArpPacket(operation,
            MacAddress.Read(arp[8..]), IPv4Address.Read(arp[14..]),
            MacAddress.Read(arp[18..]), IPv4Address.Read(arp[24..]));
        return DropReason.None;
    }

    /// <summary>Writes the 28-byte packet.</summary>
    /// <returns>28, the bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 28 bytes.</exception>
    public static int Write(Span<byte> destination, in ArpPacket packet)
    {
        if (destination.Length < Length)
            throw new ArgumentException($"Need {Length} bytes for an ARP packet.", nameof(destination));
        BinaryPrimitives.WriteUInt16BigEndian(destination, HardwareTypeEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)EtherType.IPv4);
        destination[4] = MacAddress.Length;
        destination[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)packet.Operation);
        packet.SenderMac.Write(destination[8..]);
        packet.SenderIp.Write(destination[14..]);
        packet.TargetMac.Write(destination[18..]);
        packet.TargetIp.Write(destination[24..]);
        return Length;
    }

    /// <summary>
    /// Writes a whole Ethernet frame carrying <paramref name="packet"/>: from the packet's sender
    /// hardware address to <paramref name="ethernetDestination"/>, padded to 60 bytes.
    /// </summary>
    /// <returns><see cref="EthernetCodec.MinimumFrameLength"/>, the bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 60 bytes.</exception>
    public static int WriteFrame(Span<byte> destination, MacAddress ethernetDestination, in ArpPacket packet)
    {
        int length = EthernetCodec.GetFrameLength(Length);
        if (destination.Length < length)
            throw new ArgumentException($"Need {length} bytes for an ARP frame.", nameof(destination));
        EthernetCodec.Write(destination, new EthernetHeader(ethernetDestination, packet.SenderMac, EtherType.Arp));
        Write(destination[EthernetCodec.HeaderLength..], packet);
        destination[(EthernetCodec.HeaderLength + Length)..length].Clear();
        return length;
    }

    /// <summary>A new 60-byte array holding the frame <see cref="WriteFrame"/> writes.</summary>
    public static byte[] BuildFrame(MacAddress ethernetDestination, in ArpPacket packet)
    {
        var frame = new byte[EthernetCodec.GetFrameLength(Length)];
        WriteFrame(frame, ethernetDestination, packet);
        return frame;
    }
}
