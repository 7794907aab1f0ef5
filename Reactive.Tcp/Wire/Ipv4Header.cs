namespace Reactive.Tcp.Wire;

/// <summary>The fields of an IPv4 header (RFC 791) the stack reads or writes. IP options are skipped, not kept.</summary>
public struct Ipv4Header
{
    /// <summary>Header length in bytes, options included (IHL × 4). Ignored when writing: the codec always writes 20.</summary>
    public int HeaderLength;
    /// <summary>Type of service / DSCP+ECN byte.</summary>
    public byte Tos;
    /// <summary>Header plus payload, in bytes.</summary>
    public ushort TotalLength;
    /// <summary>Identification field.</summary>
    public ushort Identification;
    /// <summary>Don't Fragment flag.</summary>
    public bool DontFragment;
    /// <summary>More Fragments flag.</summary>
    public bool MoreFragments;
    /// <summary>Fragment offset, in 8-byte units.</summary>
    public ushort FragmentOffset;
    /// <summary>Time to live.</summary>
    public byte Ttl;
    /// <summary>Transport protocol (may hold numbers outside the enum's named values).</summary>
    public IpProtocol Protocol;
    /// <summary>Source address.</summary>
    public IPv4Address Source;
    /// <summary>Destination address.</summary>
    public IPv4Address Destination;

    /// <summary>True for any piece of a fragmented datagram (MF set or a non-zero offset).</summary>
    public readonly bool IsFragment => MoreFragments || FragmentOffset != 0;

    /// <summary>Bytes after the header: <see cref="TotalLength"/> − <see cref="HeaderLength"/>.</summary>
    public readonly int PayloadLength => TotalLength - HeaderLength;

    /// <summary>tcpdump-like text, e.g. <c>10.0.0.1 &gt; 10.0.0.2 Tcp ttl 64 id 7 len 60 DF</c>.</summary>
    public override readonly string ToString() =>
        $"{Source} > {Destination} {Protocol} ttl {Ttl} id {Identification} len {TotalLength}"
        + (DontFragment ? " DF" : "") + (MoreFragments ? " MF" : "")
        + (FragmentOffset != 0 ? $" off {FragmentOffset * 8}" : "");
}
