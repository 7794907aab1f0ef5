using System.Buffers.Binary;

namespace Reactive.Tcp.Wire;

/// <summary>
/// Splits an IPv4 packet into fragments that fit an MTU (RFC 791 §3.2), and builds single
/// fragments for tests and impairments. Every fragment gets a plain 20-byte header: IP options of
/// the original are not copied (the stack never sends any).
/// </summary>
public static class Ipv4Fragmenter
{
    /// <summary>Smallest MTU every IPv4 link must carry (RFC 791): a 60-byte header and 8 bytes of data.</summary>
    public const int MinimumMtu = 68;

    /// <summary>
    /// Splits <paramref name="packet"/> into fragments of at most <paramref name="mtu"/> bytes,
    /// in offset order. A packet that already fits is returned as its only element (unchanged, as a
    /// copy). The Don't Fragment bit is the caller's business: it is cleared in every fragment.
    /// Fragmenting a fragment keeps its offset and More Fragments bit right.
    /// </summary>
    /// <param name="packet">A valid IPv4 packet, starting at its header.</param>
    /// <param name="mtu">Largest fragment, at least <see cref="MinimumMtu"/>.</param>
    /// <returns>The fragments, each a new array.</returns>
    /// <exception cref="ArgumentException">The packet is not valid IPv4, or the MTU is too small.</exception>
    public static byte[][] Fragment(ReadOnlySpan<byte> packet, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, MinimumMtu);
        if (Ipv4Codec.TryParse(packet, out var ip) != DropReason.None)
            throw new ArgumentException("Not a valid IPv4 packet.", nameof(packet));
        if (ip.TotalLength <= mtu) return [packet[..ip.TotalLength].ToArray()];

        var payload = packet[ip.HeaderLength..ip.TotalLength];
        int chunk = (mtu - Ipv4Codec.MinHeaderLength) & ~7;
        var fragments = new byte[(payload.Length + chunk - 1) / chunk][];
        for (int i = 0; i < fragments.Length; i++)
        {
            int start = i * chunk;
            int length = Math.Min(chunk, payload.Length - start);
            bool last = i == fragments.Length - 1;
            fragments[i] = Build(ip, ip.FragmentOffset * 8 + start, !last || ip.MoreFragments, payload.Slice(start, length));
        }
        return fragments;
    }

    /// <summary>Builds one fragment: the given header fields, offset, More Fragments bit and payload, with a correct checksum.</summary>
    /// <param name="header">Source, destination, protocol, identification, TTL and TOS to use.</param>
    /// <param name="offsetBytes">Fragment offset in bytes; a multiple of 8, below 65,536.</param>
    /// <param name="moreFragments">More Fragments bit.</param>
    /// <param name="payload">The fragment's data.</param>
    /// <returns>A new array holding exactly the fragment.</returns>
    /// <exception cref="ArgumentException">The offset is not a multiple of 8, or the fragment would be too long.</exception>
    public static byte[] Build(in Ipv4Header header, int offsetBytes, bool moreFragments, ReadOnlySpan<byte> payload)
    {
        if (offsetBytes < 0 || offsetBytes % 8 != 0 || offsetBytes / 8 > 0x1FFF)
            throw new ArgumentException($"A fragment offset is a multiple of 8 below 65536, not {offsetBytes}.", nameof(offsetBytes));
        int total = Ipv4Codec.MinHeaderLength + payload.Length;
        if (total > ushort.MaxValue) throw new ArgumentException("The fragment would exceed 65535 bytes.", nameof(payload));
        var fragment = new byte[total];
        var h = header;
        h.HeaderLength = Ipv4Codec.MinHeaderLength;
        h.TotalLength = (ushort)total;
        h.DontFragment = false;
        h.MoreFragments = moreFragments;
        h.FragmentOffset = (ushort)(offsetBytes / 8);
        if (h.Ttl == 0) h.Ttl = PacketBuilder.DefaultTtl;
        payload.CopyTo(fragment.AsSpan(Ipv4Codec.MinHeaderLength));
        Ipv4Codec.Write(fragment, h);
        return fragment;
    }

    /// <summary>Gives a built packet a new IP identification (and fixes its header checksum), so its fragments can be told apart from another datagram's.</summary>
    /// <param name="packet">A packet with a 20-byte header or longer; changed in place.</param>
    /// <param name="identification">The new identification.</param>
    public static void SetIdentification(Span<byte> packet, ushort identification)
    {
        int headerLength = (packet[0] & 0x0F) * 4;
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], identification);
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Checksum.Compute(packet[..headerLength]));
    }
}
