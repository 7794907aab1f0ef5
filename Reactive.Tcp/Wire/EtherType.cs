namespace Reactive.Tcp.Wire;

/// <summary>
/// Ethernet II EtherType values the stack knows (IEEE Registration Authority). The field may hold
/// others; values below 0x0600 are not EtherTypes at all but IEEE 802.3 lengths.
/// </summary>
public enum EtherType : ushort
{
    /// <summary>Internet Protocol version 4.</summary>
    IPv4 = 0x0800,
    /// <summary>Address Resolution Protocol (RFC 826).</summary>
    Arp = 0x0806,
    /// <summary>IEEE 802.1Q VLAN tag (the tag protocol identifier, TPID): a tag follows, then the real EtherType.</summary>
    Vlan = 0x8100,
    /// <summary>Internet Protocol version 6.</summary>
    IPv6 = 0x86DD,
    /// <summary>IEEE 802.1ad service VLAN tag ("Q-in-Q").</summary>
    ProviderBridging = 0x88A8,
}
