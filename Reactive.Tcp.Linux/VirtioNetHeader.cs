using System.Buffers.Binary;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Linux;

/// <summary>
/// The <c>struct virtio_net_hdr</c> (linux/virtio_net.h) that a TUN device opened with
/// <c>IFF_VNET_HDR</c> puts in front of every packet, in both directions. Ten bytes, fields in the
/// host's byte order on little-endian machines (legacy virtio): flags (u8), gso_type (u8),
/// hdr_len, gso_size, csum_start, csum_offset (u16 each).
/// </summary>
/// <remarks>
/// What the kernel hands over with <c>TUN_F_CSUM | TUN_F_TSO4</c>: a packet whose TCP checksum is
/// only partial (<see cref="NeedsChecksum"/>: the field holds the pseudo-header sum, the rest is
/// for the reader to add from <c>csum_start</c> on), and possibly a super-segment of up to 64 KiB
/// (<c>gso_type</c> TCPV4) that a real NIC would cut into <c>gso_size</c>-byte segments. Such a
/// super-segment is a valid TCP segment as it stands: its IPv4 header carries the full length and
/// a correct header checksum, and the pseudo-header sum covers the full TCP length.
/// <para>We complete the checksum rather than mark the packet "verified": the link's contract is
/// a plain IPv4 packet, so the stack's parser, a pcap capture and any other observer see a
/// packet that is correct on its own, and no trust in where the bytes came from has to travel
/// through <see cref="Reactive.Tcp.Links.ILink"/>. The price is one more pass over the payload
/// (the vectorised <see cref="Checksum"/>), which the parser's verification pass then repeats.</para>
/// </remarks>
internal static class VirtioNetHeader
{
    /// <summary>Size of the header (the kernel's default, set again explicitly with TUNSETVNETHDRSZ).</summary>
    public const int Size = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at csum_start + csum_offset is partial.</summary>
    public const byte NeedsChecksum = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_NONE: an ordinary packet.</summary>
    public const byte GsoNone = 0;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV4: a TCP/IPv4 super-segment.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN: ORed into gso_type when the segments carry ECN (CWR set on the first).</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>What <see cref="TryUnwrap"/> made of a frame read from the device.</summary>
    public enum Outcome
    {
        /// <summary>An ordinary packet.</summary>
        Plain,
        /// <summary>A super-segment (larger than the MTU) the kernel did not cut up.</summary>
        SuperSegment,
        /// <summary>The header is inconsistent with the packet behind it; drop the frame.</summary>
        Malformed,
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="frame"/>, completes a partial checksum in
    /// place, and says where the IPv4 packet is (everything after the header).
    /// </summary>
    public static Outcome TryUnwrap(Span<byte> frame)
    {
        if (frame.Length <= Size) return Outcome.Malformed;
        byte flags = frame[0];
        byte gsoType = frame[1];
        int csumStart = BinaryPrimitives.ReadUInt16LittleEndian(frame[6..]);
        int csumOffset = BinaryPrimitives.ReadUInt16LittleEndian(frame[8..]);
        var packet = frame[Size..];

        if ((flags & NeedsChecksum) != 0)
        {
            // The ones'-complement sum from csum_start to the end, folded and complemented, goes
            // into csum_start + csum_offset (which holds the pseudo-header sum, so it is included).
            if (csumStart >= packet.Length || csumOffset + 2 > packet.Length - csumStart) return Outcome.Malformed;
            var covered = packet[csumStart..];
            ushort sum = Checksum.Fold(Checksum.Add(0, covered));
            BinaryPrimitives.WriteUInt16BigEndian(covered[csumOffset..], sum);
        }

        return (gsoType & ~GsoEcn) switch
        {
            GsoNone => Outcome.Plain,
            GsoTcpV4 => Outcome.SuperSegment,
            // We only asked for TSO4; anything else (UDP, TCPv6) cannot be handled by an IPv4 TCP stack.
            _ => Outcome.Malformed,
        };
    }

    /// <summary>
    /// Prepares a TCP/IPv4 packet larger than the MTU for the kernel to cut into MTU-sized
    /// segments (the send side of TSO): fills <paramref name="header"/> (NEEDS_CSUM, gso_type
    /// TCPV4, gso_size = the payload that fits one MTU-sized segment with this packet's headers),
    /// and replaces the TCP checksum in <paramref name="packet"/> with the pseudo-header sum, which
    /// is what the kernel completes per segment. False, with nothing changed, when the packet is
    /// not TCP/IPv4 or its headers do not fit it.
    /// </summary>
    public static bool TryWriteSuperSegment(Span<byte> header, Span<byte> packet, int mtu)
    {
        if (packet.Length < 40 || (packet[0] >> 4) != 4 || packet[9] != (byte)IpProtocol.Tcp) return false;
        int ipHeader = (packet[0] & 0x0F) * 4;
        if (ipHeader < 20 || packet.Length < ipHeader + 20) return false;
        int tcpHeader = (packet[ipHeader + 12] >> 4) * 4;
        if (tcpHeader < 20 || packet.Length < ipHeader + tcpHeader) return false;
        int segmentPayload = mtu - ipHeader - tcpHeader;
        if (segmentPayload <= 0) return false;

        var source = new IPv4Address(BinaryPrimitives.ReadUInt32BigEndian(packet[12..]));
        var destination = new IPv4Address(BinaryPrimitives.ReadUInt32BigEndian(packet[16..]));
        uint pseudo = Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, packet.Length - ipHeader);
        while (pseudo > 0xFFFF) pseudo = (pseudo & 0xFFFF) + (pseudo >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet[(ipHeader + 16)..], (ushort)pseudo);

        header[0] = NeedsChecksum;
        header[1] = GsoTcpV4;
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], (ushort)(ipHeader + tcpHeader));
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)segmentPayload);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)ipHeader);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], 16);
        return true;
    }

    /// <summary>Fills <paramref name="header"/> with the header for an ordinary packet whose checksums are complete: all zeros.</summary>
    public static void WritePlain(Span<byte> header) => header[..Size].Clear();
}
