namespace Reactive.Tcp.Diagnostics;

/// <summary>The link-layer header type of a pcap capture (tcpdump.org "LINKTYPE_" values): what each record starts with.</summary>
public enum PcapLinkType
{
    /// <summary><c>LINKTYPE_ETHERNET</c>: records are Ethernet II frames (TAP devices, switch ports).</summary>
    Ethernet = 1,
    /// <summary><c>LINKTYPE_RAW</c>: records start with the IP header (TUN devices, virtual wires).</summary>
    Raw = 101,
}
