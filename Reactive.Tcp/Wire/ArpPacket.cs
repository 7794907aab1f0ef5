namespace Reactive.Tcp.Wire;

/// <summary>
/// An ARP packet for IPv4 over Ethernet (RFC 826): the operation and the two address pairs. The
/// fixed fields (hardware type 1, protocol type 0x0800, lengths 6 and 4) are implied.
/// </summary>
/// <param name="Operation">Request or reply.</param>
/// <param name="SenderMac">The sender's hardware address.</param>
/// <param name="SenderIp">The sender's protocol address; 0.0.0.0 in an RFC 5227 probe.</param>
/// <param name="TargetMac">The target's hardware address; zero in a request (unknown, which is the question).</param>
/// <param name="TargetIp">The target's protocol address: what a request asks about.</param>
public readonly record struct ArpPacket(ArpOperation Operation, MacAddress SenderMac, IPv4Address SenderIp, MacAddress TargetMac, IPv4Address TargetIp)
{
    /// <summary>"Who has <paramref name="target"/>? Tell <paramref name="senderIp"/>", with a zero target hardware address.</summary>
    public static ArpPacket Request(MacAddress senderMac, IPv4Address senderIp, IPv4Address target) =>
        new(ArpOperation.Request, senderMac, senderIp, MacAddress.Zero, target);

    /// <summary>"<paramref name="senderIp"/> is at <paramref name="senderMac"/>", addressed to the asker.</summary>
    public static ArpPacket Reply(MacAddress senderMac, IPv4Address senderIp, MacAddress targetMac, IPv4Address targetIp) =>
        new(ArpOperation.Reply, senderMac, senderIp, targetMac, targetIp);

    /// <summary>
    /// An RFC 5227 §2.3 announcement: a request whose sender and target protocol addresses are both
    /// <paramref name="address"/> and whose target hardware address is zero, broadcast so that
    /// neighbours holding a stale mapping for the address update it.
    /// </summary>
    public static ArpPacket Announcement(MacAddress mac, IPv4Address address) =>
        new(ArpOperation.Request, mac, address, MacAddress.Zero, address);

    /// <summary>
    /// A gratuitous ARP reply (the older form of announcement, which minimart sent): sender and
    /// target pairs both ours.
    /// </summary>
    public static ArpPacket GratuitousReply(MacAddress mac, IPv4Address address) =>
        new(ArpOperation.Reply, mac, address, mac, address);

    /// <summary>True when sender and target protocol addresses are the same non-zero address: an announcement, by request or reply.</summary>
    public bool IsGratuitous => SenderIp == TargetIp && SenderIp != IPv4Address.Any;

    /// <summary>True for an RFC 5227 probe: a request with sender protocol address 0.0.0.0.</summary>
    public bool IsProbe => Operation == ArpOperation.Request && SenderIp == IPv4Address.Any;

    /// <summary>tcpdump-like text: <c>Request who-has 192.0.2.1 tell 192.0.2.2</c>, <c>Reply 192.0.2.1 is-at 02:00:00:00:00:01</c>.</summary>
    public override string ToString() => Operation switch
    {
        ArpOperation.Request when IsGratuitous => $"Announcement {SenderIp} is-at {SenderMac}",
        ArpOperation.Request => $"Request who-has {TargetIp} tell {SenderIp} ({SenderMac})",
        ArpOperation.Reply => $"Reply {SenderIp} is-at {SenderMac} to {TargetIp} ({TargetMac})",
        _ => $"op {(ushort)Operation} {SenderIp} ({SenderMac}) > {TargetIp} ({TargetMac})",
    };
}
