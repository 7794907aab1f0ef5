using System.Buffers.Binary;

namespace Reactive.Tcp.Wire;

/// <summary>
/// Reads and writes Ethernet II frames as devices hand them over: the 14-byte header and the
/// payload, without preamble or frame check sequence. Never throws on malformed input: it reports
/// a <see cref="DropReason"/>.
/// </summary>
/// <remarks>
/// <para>Ethernet's minimum frame is 64 bytes with the 4-byte FCS, so 60 bytes here: a sender pads
/// a shorter payload with zeros, and nothing in the Ethernet header says how much. Upper layers
/// carry their own length (IPv4's total length, ARP's fixed 28 bytes), which is why
/// <see cref="TrimToIpv4TotalLength(ReadOnlyMemory{byte})"/> exists. Frames shorter than 60 bytes
/// are accepted on input: a TAP device and an in-memory switch hand them over unpadded.</para>
/// <para>802.1Q and 802.1ad tagged frames are recognised (<see cref="DropReason.VlanTagged"/>) so
/// an interface can drop and count them rather than misread the tag as a payload.</para>
/// </remarks>
public static class EthernetCodec
{
    /// <summary>Destination, source and EtherType: 14 bytes.</summary>
    public const int HeaderLength = 14;

    /// <summary>The shortest frame on the wire without its FCS (64 − 4): shorter ones are padded with zeros.</summary>
    public const int MinimumFrameLength = 60;

    /// <summary>Type values from here up are EtherTypes; below 0x0600 the field is an IEEE 802.3 length.</summary>
    public const ushort MinimumEtherType = 0x0600;

    /// <summary>Parses the header of <paramref name="frame"/>; the payload is everything after <see cref="HeaderLength"/>.</summary>
    /// <param name="frame">The frame, starting at the destination address.</param>
    /// <param name="header">The header; filled even for a tagged or 802.3 frame so the caller can log it, default when truncated.</param>
    /// <returns><see cref="DropReason.None"/>; <see cref="DropReason.Truncated"/> below 14 bytes;
    /// <see cref="DropReason.VlanTagged"/> for an 802.1Q/802.1ad tag; <see cref="DropReason.NotEthernetII"/>
    /// for an 802.3 length field.</returns>
    public static DropReason TryParse(ReadOnlySpan<byte> frame, out EthernetHeader header)
    {
        header = default;
        if (frame.Length < HeaderLength) return DropReason.Truncated;
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        header = new EthernetHeader(MacAddress.Read(frame), MacAddress.Read(frame[6..]), (EtherType)type);
        if (type is (ushort)EtherType.Vlan or (ushort)EtherType.ProviderBridging) return DropReason.VlanTagged;
        if (type < MinimumEtherType) return DropReason.NotEthernetII;
        return DropReason.None;
    }

    /// <summary>Writes the 14-byte header.</summary>
    /// <returns>14, the bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 14 bytes.</exception>
    public static int Write(Span<byte> destination, in EthernetHeader header)
    {
        if (destination.Length < HeaderLength)
            throw new ArgumentException($"Need {HeaderLength} bytes for an Ethernet header.", nameof(destination));
        header.Destination.Write(destination);
        header.Source.Write(destination[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], (ushort)header.EtherType);
        return HeaderLength;
    }

    /// <summary>Length of a frame carrying <paramref name="payloadLength"/> bytes, padded to <see cref="MinimumFrameLength"/>.</summary>
    public static int GetFrameLength(int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        return Math.Max(HeaderLength + payloadLength, MinimumFrameLength);
    }

    /// <summary>Writes header, payload and the zero padding a short frame needs.</summary>
    /// <returns>The frame's length, <see cref="GetFrameLength"/> of the payload's.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short for the frame.</exception>
    public static int WriteFrame(Span<byte> destination, in EthernetHeader header, ReadOnlySpan<byte> payload)
    {
        int length = GetFrameLength(payload.Length);
        if (destination.Length < length)
            throw new ArgumentException($"Need {length} bytes for this Ethernet frame.", nameof(destination));
        Write(destination, header);
        payload.CopyTo(destination[HeaderLength..]);
        destination[(HeaderLength + payload.Length)..length].Clear();
        return length;
    }

    /// <summary>A new array holding the frame (header, payload, padding): see <see cref="WriteFrame"/>.</summary>
    public static byte[] BuildFrame(in EthernetHeader header, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[GetFrameLength(payload.Length)];
        WriteFrame(frame, header, payload);
        return frame;
    }

    /// <summary>
    /// Cuts the Ethernet padding off an IPv4 packet: the payload up to the packet's total length,
    /// trusted as minimart trusted it. A payload that is not plausibly IPv4 (shorter than 4 bytes,
    /// not version 4, or a total length below 20 or past the end) comes back unchanged, so that
    /// <see cref="Ipv4Codec.TryParse"/> reports what is wrong with it.
    /// </summary>
    /// <param name="payload">The frame's payload, starting at the IPv4 header.</param>
    public static ReadOnlyMemory<byte> TrimToIpv4TotalLength(ReadOnlyMemory<byte> payload) =>
        payload[..Ipv4Length(payload.Span)];

    /// <summary>The span form of <see cref="TrimToIpv4TotalLength(ReadOnlyMemory{byte})"/>.</summary>
    public static ReadOnlySpan<byte> TrimToIpv4TotalLength(ReadOnlySpan<byte> payload) =>
        payload[..Ipv4Length(payload)];

    private static int Ipv4Length(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4 || payload[0] >> 4 != 4) return payload.Length;
        int total = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
        return total >= Ipv4Codec.MinHeaderLength && total <= payload.Length ? total : payload.Length;
    }
}
