namespace Reactive.Tcp.Wire;

/// <summary>
/// An ICMP Destination Unreachable message and what it quotes of the packet that caused it: the
/// quoted IP header and the first 8 bytes of its transport header (ports, and for TCP the
/// sequence number), which is all RFC 792 promises.
/// </summary>
/// <remarks>The quoted packet was sent by us, so its source is our side of the flow.</remarks>
public struct IcmpErrorMessage
{
    /// <summary>The ICMP type (<see cref="IcmpType.DestinationUnreachable"/>).</summary>
    public IcmpType Type;
    /// <summary>The code, e.g. <see cref="UnreachableCode.FragmentationNeeded"/>.</summary>
    public UnreachableCode Code;
    /// <summary>Next-hop MTU for <see cref="UnreachableCode.FragmentationNeeded"/> (RFC 1191); 0 from routers that predate it.</summary>
    public ushort NextHopMtu;
    /// <summary>The quoted packet's IP source (our address when the packet was ours).</summary>
    public IPv4Address QuotedSource;
    /// <summary>The quoted packet's IP destination.</summary>
    public IPv4Address QuotedDestination;
    /// <summary>The quoted packet's transport protocol.</summary>
    public IpProtocol QuotedProtocol;
    /// <summary>The quoted packet was a first fragment or not a fragment, so its 8 transport bytes are a real header.</summary>
    public bool QuotesTransportHeader;
    /// <summary>Source port of the quoted TCP or UDP header.</summary>
    public ushort QuotedSourcePort;
    /// <summary>Destination port of the quoted TCP or UDP header.</summary>
    public ushort QuotedDestinationPort;
    /// <summary>Sequence number of the quoted TCP header.</summary>
    public SeqNum QuotedSeq;

    /// <summary>tcpdump-like text, e.g. <c>ICMP 192.0.2.1 unreachable - need to frag (mtu 1280)</c>.</summary>
    public override readonly string ToString() => Code switch
    {
        UnreachableCode.FragmentationNeeded => $"ICMP {QuotedDestination} unreachable - need to frag (mtu {NextHopMtu})",
        UnreachableCode.Port => $"ICMP {QuotedDestination} {QuotedProtocol.ToString().ToLowerInvariant()} port {QuotedDestinationPort} unreachable",
        _ => $"ICMP {QuotedDestination} unreachable, code {(byte)Code}",
    };
}
