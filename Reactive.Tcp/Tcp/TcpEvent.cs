using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>One input to the TCP step.</summary>
internal struct TcpEvent
{
    /// <summary>What happened.</summary>
    public TcpEventKind Kind;

    /// <summary>The arriving segment, for <see cref="TcpEventKind.Segment"/>.</summary>
    public TcpSegment Segment;

    /// <summary>Application data, for <see cref="TcpEventKind.Send"/>.</summary>
    public ReadOnlyMemory<byte> Data;

    /// <summary>Byte count, for <see cref="TcpEventKind.ReadCredit"/>.</summary>
    public long Count;

    /// <summary>A segment arrived.</summary>
    public static TcpEvent FromSegment(in TcpSegment segment) => new() { Kind = TcpEventKind.Segment, Segment = segment };

    /// <summary>An event with no argument.</summary>
    public static TcpEvent Of(TcpEventKind kind) => new() { Kind = kind };

    /// <summary>Queue data to send.</summary>
    public static TcpEvent SendData(ReadOnlyMemory<byte> data) => new() { Kind = TcpEventKind.Send, Data = data };

    /// <summary>Grant read credit.</summary>
    public static TcpEvent Credit(long count) => new() { Kind = TcpEventKind.ReadCredit, Count = count };

    /// <summary>A fragmentation-needed error quoting our segment at <paramref name="quotedSeq"/>, with the next-hop MTU.</summary>
    public static TcpEvent PathMtu(int nextHopMtu, SeqNum quotedSeq) =>
        new() { Kind = TcpEventKind.PathMtu, Count = nextHopMtu, Segment = new TcpSegment { Seq = quotedSeq } };

    /// <inheritdoc />
    public override readonly string ToString() => Kind switch
    {
        TcpEventKind.Segment => "in " + Segment,
        TcpEventKind.Send => $"send {Data.Length}",
        TcpEventKind.ReadCredit => $"credit {Count}",
        TcpEventKind.PathMtu => $"path mtu {Count} seq {Segment.Seq}",
        _ => Kind.ToString(),
    };
}
