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
    /// <summary>A fragment (MF set or non-zero offset) where no reassembly is done: <see cref="PacketParser"/> reports it; a stack reassembles instead.</summary>
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
    /// <summary>TCP segment with no listener and no connection where no RST may be sent (e.g. a RST), or a UDP datagram to an unbound port (answered with ICMP port unreachable when allowed).</summary>
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
    /// <summary>ICMP error whose quoted packet is not a valid IPv4 header plus 8 bytes.</summary>
    BadIcmpQuote,
    /// <summary>ICMP error about a connection the stack does not have.</summary>
    IcmpNoConnection,
    /// <summary>ICMP error whose quoted TCP sequence number is not in SND.UNA..SND.NXT (RFC 5927 §4.1: likely forged or stale).</summary>
    IcmpStaleSequence,
    /// <summary>A fragment that overlaps an earlier one with different bytes (RFC 5722 spirit): the whole datagram is dropped.</summary>
    FragmentOverlap,
    /// <summary>A fragment that would make the datagram longer than 65,535 bytes, or disagrees with the known end.</summary>
    FragmentTooLong,
    /// <summary>A TCP first fragment too short to hold the whole TCP header, or a TCP fragment at offset 1 (RFC 1858 tiny fragments).</summary>
    TinyFragment,
    /// <summary>Reassembly memory, datagram count or per-datagram fragment limit reached: counted once for each datagram evicted (oldest first) or fragment refused.</summary>
    FragmentMemoryLimit,
    /// <summary>A datagram whose fragments did not all arrive within the reassembly timeout (counted once per datagram).</summary>
    FragmentTimeout,
    /// <summary>A fragment whose payload length is not a multiple of 8 although more fragments follow.</summary>
    BadFragment,
    /// <summary>No route covers the destination of a packet the stack was to send.</summary>
    NoRoute,
    /// <summary>An Ethernet frame whose type field is an IEEE 802.3 length (below 0x0600: LLC frames such as spanning-tree BPDUs), not an Ethernet II EtherType.</summary>
    NotEthernetII,
    /// <summary>An Ethernet frame carrying an 802.1Q (TPID 0x8100) or 802.1ad (0x88A8) VLAN tag: VLANs are not handled.</summary>
    VlanTagged,
    /// <summary>An Ethernet frame whose EtherType the interface does not handle (IPv6, LLDP, …).</summary>
    UnsupportedEtherType,
    /// <summary>A unicast Ethernet frame for another station's MAC address, or a multicast frame for a group the interface has not joined.</summary>
    NotForOurMac,
    /// <summary>An ARP packet whose hardware type or length is not Ethernet's (1, 6 bytes).</summary>
    ArpUnsupportedHardware,
    /// <summary>An ARP packet whose protocol type or length is not IPv4's (0x0800, 4 bytes).</summary>
    ArpUnsupportedProtocol,
    /// <summary>An ARP packet whose operation is neither request (1) nor reply (2).</summary>
    ArpBadOperation,
    /// <summary>An ARP packet whose sender hardware address is zero, broadcast, multicast or our own, or whose sender protocol address is broadcast, multicast or loopback: never learned, never answered.</summary>
    ArpBadSender,
    /// <summary>An ARP reply nobody asked for (no entry for its sender): not learned, per the RFC 826 merge rule as Linux applies it (<c>arp_accept</c> off).</summary>
    ArpUnsolicitedReply,
    /// <summary>An ARP packet from another station claiming one of our addresses (RFC 5227 conflict): ignored, and the address defended.</summary>
    ArpAddressConflict,
    /// <summary>Outbound: a packet for an unresolved neighbour dropped because that neighbour's queue was full (the oldest queued packet goes).</summary>
    NeighbourQueueFull,
    /// <summary>Outbound: a packet dropped because its next hop did not answer ARP (resolution failed).</summary>
    NeighbourUnreachable,
    /// <summary>Outbound: a packet dropped because the neighbour table was full of entries that could not be evicted.</summary>
    NeighbourTableFull,
}
