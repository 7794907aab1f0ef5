using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Stack;

/// <summary>Running totals of what a stack has done. Thread-safe to read.</summary>
public sealed class StackCounters
{
    private long _segmentsIn, _segmentsOut, _retransmissions, _bytesDelivered, _echoReplies, _connectionsOpened, _connectionsClosed, _pipelineFaults;
    private long _datagramsReassembled, _icmpErrorsSent, _icmpErrorsSuppressed, _icmpErrorsReceived, _pathMtuUpdates;

    /// <summary>TCP segments received and parsed.</summary>
    public long SegmentsIn => Interlocked.Read(ref _segmentsIn);
    /// <summary>TCP segments sent.</summary>
    public long SegmentsOut => Interlocked.Read(ref _segmentsOut);
    /// <summary>Segments sent again (timeout, fast retransmit).</summary>
    public long Retransmissions => Interlocked.Read(ref _retransmissions);
    /// <summary>Payload bytes handed to applications.</summary>
    public long BytesDelivered => Interlocked.Read(ref _bytesDelivered);
    /// <summary>ICMP echo replies sent.</summary>
    public long EchoReplies => Interlocked.Read(ref _echoReplies);
    /// <summary>Connections that reached ESTABLISHED.</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);
    /// <summary>Connection blocks that reached CLOSED (including refused attempts).</summary>
    public long ConnectionsClosed => Interlocked.Read(ref _connectionsClosed);
    /// <summary>Exceptions caught inside the pipeline (each aborts only its connection).</summary>
    public long PipelineFaults => Interlocked.Read(ref _pipelineFaults);

    /// <summary>IPv4 datagrams put back together from fragments.</summary>
    public long DatagramsReassembled => Interlocked.Read(ref _datagramsReassembled);
    /// <summary>ICMP errors sent (port unreachable).</summary>
    public long IcmpErrorsSent => Interlocked.Read(ref _icmpErrorsSent);
    /// <summary>ICMP errors that would have been sent but the rate limit held back.</summary>
    public long IcmpErrorsSuppressed => Interlocked.Read(ref _icmpErrorsSuppressed);
    /// <summary>ICMP Destination Unreachable errors received and matched to a connection.</summary>
    public long IcmpErrorsReceived => Interlocked.Read(ref _icmpErrorsReceived);
    /// <summary>Fragmentation-needed errors handed to a connection (RFC 1191), whether or not they lowered its MSS.</summary>
    public long PathMtuUpdates => Interlocked.Read(ref _pathMtuUpdates);

    internal void DatagramReassembled() => Interlocked.Increment(ref _datagramsReassembled);
    internal void IcmpErrorSent() => Interlocked.Increment(ref _icmpErrorsSent);
    internal void IcmpErrorSuppressed() => Interlocked.Increment(ref _icmpErrorsSuppressed);
    internal void IcmpErrorReceived() => Interlocked.Increment(ref _icmpErrorsReceived);
    internal void PathMtuUpdate() => Interlocked.Increment(ref _pathMtuUpdates);
    internal void SegmentIn() => Interlocked.Increment(ref _segmentsIn);
    internal void EchoReply() => Interlocked.Increment(ref _echoReplies);
    internal void Fault() => Interlocked.Increment(ref _pipelineFaults);

    internal void AddStep(TcpEffects fx)
    {
        if (fx.Transmit.Count > 0) Interlocked.Add(ref _segmentsOut, fx.Transmit.Count);
        if (fx.Retransmissions > 0) Interlocked.Add(ref _retransmissions, fx.Retransmissions);
        for (int i = 0; i < fx.Deliver.Count; i++) Interlocked.Add(ref _bytesDelivered, fx.Deliver[i].Length);
        if (fx.Connected) Interlocked.Increment(ref _connectionsOpened);
        if (fx.Closed) Interlocked.Increment(ref _connectionsClosed);
    }

    /// <summary>A one-line summary.</summary>
    public override string ToString() =>
        $"segments in {SegmentsIn} out {SegmentsOut}, retransmissions {Retransmissions}, delivered {BytesDelivered} B, opened {ConnectionsOpened}, closed {ConnectionsClosed}";
}
