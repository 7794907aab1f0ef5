using System.Text;

namespace Reactive.Tcp.Wire;

/// <summary>
/// A TCP segment as the state machine sees it: header fields, options and a payload slice.
/// The payload is only valid for as long as the buffer it slices (an inbound frame is valid during
/// the call that delivers it; copy what must outlive it).
/// </summary>
public struct TcpSegment
{
    /// <summary>Source port.</summary>
    public ushort SourcePort;
    /// <summary>Destination port.</summary>
    public ushort DestinationPort;
    /// <summary>Sequence number of the first octet (or of the SYN).</summary>
    public SeqNum Seq;
    /// <summary>Acknowledgment number (significant when <see cref="TcpFlags.Ack"/> is set).</summary>
    public SeqNum Ack;
    /// <summary>Flag bits.</summary>
    public TcpFlags Flags;
    /// <summary>Raw (unscaled) window field.</summary>
    public ushort Window;
    /// <summary>Urgent pointer.</summary>
    public ushort UrgentPointer;
    /// <summary>Options.</summary>
    public TcpOptions Options;
    /// <summary>
    /// First part of the payload; the whole payload unless <see cref="PayloadTail"/> holds more.
    /// </summary>
    public ReadOnlyMemory<byte> PayloadHead;
    /// <summary>
    /// The rest of the payload when it lies in two pieces of storage (a send ring that wraps),
    /// so that sending never has to copy bytes together; usually empty.
    /// </summary>
    public ReadOnlyMemory<byte> PayloadTail;

    /// <summary>
    /// The payload bytes. Setting it clears <see cref="PayloadTail"/>. Reading a two-piece payload
    /// joins the pieces into a new array: code on the per-segment path reads
    /// <see cref="PayloadHead"/> and <see cref="PayloadTail"/> instead.
    /// </summary>
    public ReadOnlyMemory<byte> Payload
    {
        readonly get
        {
            if (PayloadTail.IsEmpty) return PayloadHead;
            var joined = new byte[PayloadHead.Length + PayloadTail.Length];
            PayloadHead.Span.CopyTo(joined);
            PayloadTail.Span.CopyTo(joined.AsSpan(PayloadHead.Length));
            return joined;
        }
        set
        {
            PayloadHead = value;
            PayloadTail = default;
        }
    }

    /// <summary>Payload length in bytes, both pieces together.</summary>
    public readonly int PayloadLength => PayloadHead.Length + PayloadTail.Length;

    /// <summary>Sets a payload that lies in two pieces: <paramref name="head"/> then <paramref name="tail"/>.</summary>
    public void SetPayload(ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> tail)
    {
        if (head.IsEmpty) (head, tail) = (tail, default);
        PayloadHead = head;
        PayloadTail = tail;
    }
    /// <summary>
    /// The ECN codepoint of the IP header that carries (or carried) the segment: read from an
    /// inbound packet's TOS byte, written into an outbound one. Not part of the TCP header.
    /// </summary>
    public IpEcn Ecn;

    /// <summary>True when every flag in <paramref name="flags"/> is set.</summary>
    public readonly bool Has(TcpFlags flags) => (Flags & flags) == flags;

    /// <summary>Sequence space the segment occupies: payload plus one each for SYN and FIN.</summary>
    public readonly int SequenceLength =>
        PayloadLength + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);

    /// <summary>The flags in tcpdump's bracket notation, e.g. <c>[S.]</c>.</summary>
    public static string FormatFlags(TcpFlags flags)
    {
        var sb = new StringBuilder("[");
        if ((flags & TcpFlags.Syn) != 0) sb.Append('S');
        if ((flags & TcpFlags.Fin) != 0) sb.Append('F');
        if ((flags & TcpFlags.Rst) != 0) sb.Append('R');
        if ((flags & TcpFlags.Psh) != 0) sb.Append('P');
        if ((flags & TcpFlags.Urg) != 0) sb.Append('U');
        if ((flags & TcpFlags.Ece) != 0) sb.Append('E');
        if ((flags & TcpFlags.Cwr) != 0) sb.Append('W');
        if ((flags & TcpFlags.Ack) != 0) sb.Append('.');
        if (sb.Length == 1) sb.Append("none");
        return sb.Append(']').ToString();
    }

    /// <summary>tcpdump-like text: <c>[S.] seq 1000 ack 5001 win 65535 &lt;mss 1460&gt; len 0</c>.</summary>
    public override readonly string ToString()
    {
        var sb = new StringBuilder(FormatFlags(Flags));
        sb.Append(" seq ").Append(Seq);
        if ((Flags & TcpFlags.Ack) != 0) sb.Append(" ack ").Append(Ack);
        sb.Append(" win ").Append(Window);
        if (!Options.IsEmpty) sb.Append(" <").Append(Options.ToString()).Append('>');
        if (PayloadLength > 0) sb.Append(" len ").Append(PayloadLength);
        if (Ecn != IpEcn.NotEct) sb.Append(' ').Append(Ecn == IpEcn.Ce ? "ce" : Ecn == IpEcn.Ect0 ? "ect0" : "ect1");
        return sb.ToString();
    }
}
