using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Stack;

/// <summary>Running totals of what a stack has done. Thread-safe to read.</summary>
public sealed class StackCounters
{
    private long _segmentsIn, _segmentsOut, _retransmissions, _bytesDelivered, _echoReplies, _connectionsOpened, _connectionsClosed, _pipelineFaults;
    private long _synCookiesSent, _synCookiesAccepted, _synCookiesRejected, _statelessResets, _challengeAcksSuppressed, _outOfWindowAcksSuppressed, _connectsRefusedAtLimit;
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

    /// <summary>SYN-ACKs sent with a SYN cookie (the SYN queue was full; no state kept).</summary>
    public long SynCookiesSent => Interlocked.Read(ref _synCookiesSent);
    /// <summary>ACKs whose SYN cookie validated: connections created straight in ESTABLISHED.</summary>
    public long SynCookiesAccepted => Interlocked.Read(ref _synCookiesAccepted);
    /// <summary>ACKs to a listener in SYN-cookie mode whose cookie did not validate (answered with RST).</summary>
    public long SynCookiesRejected => Interlocked.Read(ref _synCookiesRejected);
    /// <summary>RSTs sent for segments that found no connection, without creating any state.</summary>
    public long StatelessResets => Interlocked.Read(ref _statelessResets);
    /// <summary>Challenge ACKs not sent because the stack-wide budget per second was spent (RFC 5961 §7).</summary>
    public long ChallengeAcksSuppressed => Interlocked.Read(ref _challengeAcksSuppressed);
    /// <summary>Duplicate ACKs for out-of-window segments not sent because their connection answered one less than the interval ago.</summary>
    public long OutOfWindowAcksSuppressed => Interlocked.Read(ref _outOfWindowAcksSuppressed);
    /// <summary><c>Connect()</c> attempts refused because the stack held its maximum of connections.</summary>
    public long ConnectsRefusedAtLimit => Interlocked.Read(ref _connectsRefusedAtLimit);

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
    internal void SegmentOut() => Interlocked.Increment(ref _segmentsOut);
    internal void SynCookieSent() => Interlocked.Increment(ref _synCookiesSent);
    internal void SynCookieAccepted() => Interlocked.Increment(ref _synCookiesAccepted);
    internal void SynCookieRejected() => Interlocked.Increment(ref _synCookiesRejected);
    internal void StatelessReset() => Interlocked.Increment(ref _statelessResets);
    internal void ChallengeAckSuppressed() => Interlocked.Increment(ref _challengeAcksSuppressed);
    internal void OutOfWindowAckSuppressed() => Interlocked.Increment(ref _outOfWindowAcksSuppressed);
    internal void ConnectRefusedAtLimit() => Interlocked.Increment(ref _connectsRefusedAtLimit);
    internal void EchoReply() => Interlocked.Increment(ref _echoReplies);
    internal void Fault() => Interlocked.Increment(ref _pipelineFaults);

    internal void AddStep(TcpEffects fx)
    {
        if (fx.Retransmissions > 0) Interlocked.Add(ref _retransmissions, fx.Retransmissions);
        for (int i = 0; i < fx.Deliver.Count; i++) Interlocked.Add(ref _bytesDelivered, fx.Deliver[i].Length);
        if (fx.Connected) Interlocked.Increment(ref _connectionsOpened);
        if (fx.Closed) Interlocked.Increment(ref _connectionsClosed);
    }

    /// <summary>A one-line summary.</summary>
    public override string ToString() =>
        $"segments in {SegmentsIn} out {SegmentsOut}, retransmissions {Retransmissions}, delivered {BytesDelivered} B, opened {ConnectionsOpened}, closed {ConnectionsClosed}";
}
