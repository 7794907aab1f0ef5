namespace Reactive.Tcp.Wire;

/// <summary>The 14-byte Ethernet II header: destination, source, EtherType (the frame check sequence is the device's business).</summary>
/// <param name="Destination">Where the frame goes: a station, a multicast group or <see cref="MacAddress.Broadcast"/>.</param>
/// <param name="Source">The sending station.</param>
/// <param name="EtherType">What the payload is (may hold values outside the enum's named ones).</param>
public readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, EtherType EtherType)
{
    /// <summary>tcpdump-like text, e.g. <c>02:00:00:00:00:01 &gt; ff:ff:ff:ff:ff:ff, ethertype Arp (0x0806)</c>.</summary>
    public override string ToString() => $"{Source} > {Destination}, ethertype {EtherType} (0x{(ushort)EtherType:x4})";
}
