namespace Reactive.Tcp.Wire;

/// <summary>The ARP operation code (RFC 826 <c>ar$op</c>); only these two are handled.</summary>
public enum ArpOperation : ushort
{
    /// <summary>"Who has the target protocol address? Tell the sender."</summary>
    Request = 1,
    /// <summary>"The sender protocol address is at the sender hardware address."</summary>
    Reply = 2,
}
