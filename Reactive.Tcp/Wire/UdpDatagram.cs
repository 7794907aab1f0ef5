namespace Reactive.Tcp.Wire;

/// <summary>A UDP datagram (RFC 768): ports and a payload slice of the buffer it was parsed from.</summary>
public struct UdpDatagram
{
    /// <summary>Source port (0 when the sender expects no reply).</summary>
    public ushort SourcePort;
    /// <summary>Destination port.</summary>
    public ushort DestinationPort;
    /// <summary>Payload bytes, as long as the UDP length field says.</summary>
    public ReadOnlyMemory<byte> Payload;

    /// <summary>tcpdump-like text, e.g. <c>UDP 5353 &gt; 53 length 32</c>.</summary>
    public override readonly string ToString() => $"UDP {SourcePort} > {DestinationPort} length {Payload.Length}";
}
