namespace Reactive.Tcp.Network;

/// <summary>What the network layer has done (part of the stack's public counters). Thread-safe to read.</summary>
internal sealed class NetworkCounters
{
    private long _echoReplies, _datagramsReassembled, _icmpErrorsSent, _icmpErrorsSuppressed, _icmpErrorsReceived, _fragmentsSent;

    public long EchoReplies => Interlocked.Read(ref _echoReplies);
    public long DatagramsReassembled => Interlocked.Read(ref _datagramsReassembled);
    public long IcmpErrorsSent => Interlocked.Read(ref _icmpErrorsSent);
    public long IcmpErrorsSuppressed => Interlocked.Read(ref _icmpErrorsSuppressed);
    public long IcmpErrorsReceived => Interlocked.Read(ref _icmpErrorsReceived);
    public long FragmentsSent => Interlocked.Read(ref _fragmentsSent);

    public void EchoReply() => Interlocked.Increment(ref _echoReplies);
    public void DatagramReassembled() => Interlocked.Increment(ref _datagramsReassembled);
    public void IcmpErrorSent() => Interlocked.Increment(ref _icmpErrorsSent);
    public void IcmpErrorSuppressed() => Interlocked.Increment(ref _icmpErrorsSuppressed);
    public void IcmpErrorReceived() => Interlocked.Increment(ref _icmpErrorsReceived);
    public void FragmentSent() => Interlocked.Increment(ref _fragmentsSent);
}
