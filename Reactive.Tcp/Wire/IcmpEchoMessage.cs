namespace Reactive.Tcp.Wire;

/// <summary>An ICMP echo request or reply (RFC 792).</summary>
public struct IcmpEchoMessage
{
    /// <summary>Request or reply.</summary>
    public IcmpType Type;
    /// <summary>Identifier, echoed back unchanged in the reply.</summary>
    public ushort Identifier;
    /// <summary>Sequence number, echoed back unchanged in the reply.</summary>
    public ushort SequenceNumber;
    /// <summary>
    /// Bytes of echo data after the 8-byte header. Always set, so a message parsed from a span
    /// still says where its data is: <c>icmp[IcmpCodec.EchoHeaderLength..]</c>.
    /// </summary>
    public int DataLength;
    /// <summary>
    /// The echo data as a slice of the parsed buffer when parsed from memory; empty when parsed
    /// from a span (a span cannot be kept in a struct that may live on the heap).
    /// </summary>
    public ReadOnlyMemory<byte> Data;

    /// <summary>tcpdump-like text, e.g. <c>ICMP echo request, id 7, seq 1, length 64</c>.</summary>
    public override readonly string ToString() =>
        $"ICMP echo {(Type == IcmpType.EchoRequest ? "request" : "reply")}, id {Identifier}, seq {SequenceNumber}, length {IcmpCodec.EchoHeaderLength + DataLength}";
}
