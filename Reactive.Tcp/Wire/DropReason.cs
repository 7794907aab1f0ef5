namespace Reactive.Tcp.Wire;

/// <summary>Why an inbound packet was dropped. Each reason has its own counter in <see cref="DropCounters"/>.</summary>
public enum DropReason
{
    /// <summary>Not dropped.</summary>
    None = 0,
    /// <summary>Shorter than the smallest header it claims to be.</summary>
    Truncated,
    /// <summary>IP version is not 4 (IPv6 and others are skipped).</summary>
    NotIPv4,
    /// <summary>IHL below 5 or past the end of the packet.</summary>
    BadHeaderLength,
    /// <summary>Total length smaller than the header or larger than the frame.</summary>
    BadTotalLength,
    /// <summary>IPv4 header checksum does not verify.</summary>
    BadIpChecksum,
    /// <summary>A fragment (MF set or non-zero offset); reassembly is not done here.</summary>
    Fragment,
    /// <summary>Addressed to another host.</summary>
    NotForUs,
    /// <summary>IP protocol the stack does not handle.</summary>
    UnsupportedProtocol,
    /// <summary>TCP data offset below 5 or past the end of the segment.</summary>
    BadDataOffset,
    /// <summary>TCP checksum (with pseudo-header) does not verify.</summary>
    BadTcpChecksum,
    /// <summary>A TCP option's length is invalid or runs past the header.</summary>
    BadOption,
    /// <summary>ICMP checksum does not verify.</summary>
    BadIcmpChecksum,
    /// <summary>ICMP type the stack does not handle.</summary>
    UnsupportedIcmp,
    /// <summary>UDP length or checksum invalid.</summary>
    BadUdp,
    /// <summary>TCP segment with no listener and no connection where no RST may be sent (e.g. a RST).</summary>
    NoConnection,
    /// <summary>A segment the connection's state machine rejected (out of window, bad ACK, …).</summary>
    Unacceptable,
    /// <summary>Source or destination address is broadcast, multicast or otherwise invalid.</summary>
    BadAddress,
    /// <summary>A SYN to a listener whose SYN queue (backlog, or the stack's half-open limit) is full, with SYN cookies off.</summary>
    SynQueueFull,
    /// <summary>A SYN (or a SYN cookie's ACK) that would exceed the stack's connection limit.</summary>
    ConnectionLimit,
    /// <summary>An ACK to a listener that recently sent SYN cookies whose cookie does not validate (answered with RST).</summary>
    BadSynCookie,
}
