using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Transport;

/// <summary>What the TCP transport has done (part of the stack's public counters). Thread-safe to read.</summary>
internal sealed class TcpCounters
{
    private long _segmentsIn, _segmentsOut, _retransmissions, _bytesDelivered, _connectionsOpened, _connectionsClosed;
    private long _synCookiesSent, _synCookiesAccepted, _synCookiesRejected, _statelessResets, _challengeAcksSuppressed, _outOfWindowAcksSuppressed, _connectsRefusedAtLimit, _pathMtuUpdates;
    private long _timeWaitSkipped, _timeWaitReused, _synsRefusedAtLimit;

    public long SegmentsIn => Interlocked.Read(ref _segmentsIn);
    public long SegmentsOut => Interlocked.Read(ref _segmentsOut);
    public long Retransmissions => Interlocked.Read(ref _retransmissions);
    public long BytesDelivered => Interlocked.Read(ref _bytesDelivered);
    public long ConnectionsOpened => Interlocked.Read(ref _connectionsOpened);
    public long ConnectionsClosed => Interlocked.Read(ref _connectionsClosed);
    public long SynCookiesSent => Interlocked.Read(ref _synCookiesSent);
    public long SynCookiesAccepted => Interlocked.Read(ref _synCookiesAccepted);
    public long SynCookiesRejected => Interlocked.Read(ref _synCookiesRejected);
    public long StatelessResets => Interlocked.Read(ref _statelessResets);
    public long ChallengeAcksSuppressed => Interlocked.Read(ref _challengeAcksSuppressed);
    public long OutOfWindowAcksSuppressed => Interlocked.Read(ref _outOfWindowAcksSuppressed);
    public long ConnectsRefusedAtLimit => Interlocked.Read(ref _connectsRefusedAtLimit);
    public long PathMtuUpdates => Interlocked.Read(ref _pathMtuUpdates);
    public long TimeWaitSkipped => Interlocked.Read(ref _timeWaitSkipped);
    public long TimeWaitReused => Interlocked.Read(ref _timeWaitReused);
    public long SynsRefusedAtLimit => Interlocked.Read(ref _synsRefusedAtLimit);

    public void SegmentIn() => Interlocked.Increment(ref _segmentsIn);
    public void SegmentOut() => Interlocked.Increment(ref _segmentsOut);
    public void SynCookieSent() => Interlocked.Increment(ref _synCookiesSent);
    public void SynCookieAccepted() => Interlocked.Increment(ref _synCookiesAccepted);
    public void SynCookieRejected() => Interlocked.Increment(ref _synCookiesRejected);
    public void StatelessReset() => Interlocked.Increment(ref _statelessResets);
    public void ChallengeAckSuppressed() => Interlocked.Increment(ref _challengeAcksSuppressed);
    public void OutOfWindowAckSuppressed() => Interlocked.Increment(ref _outOfWindowAcksSuppressed);
    public void ConnectRefusedAtLimit() => Interlocked.Increment(ref _connectsRefusedAtLimit);
    public void PathMtuUpdate() => Interlocked.Increment(ref _pathMtuUpdates);
    public void TimeWaitSkip() => Interlocked.Increment(ref _timeWaitSkipped);
    public void TimeWaitReuse() => Interlocked.Increment(ref _timeWaitReused);
    public void SynRefusedAtLimit() => Interlocked.Increment(ref _synsRefusedAtLimit);

    /// <summary>Adds what one step did.</summary>
    public void AddStep(TcpEffects fx)
    {
        if (fx.Retransmissions > 0) Interlocked.Add(ref _retransmissions, fx.Retransmissions);
        for (int i = 0; i < fx.Deliver.Count; i++) Interlocked.Add(ref _bytesDelivered, fx.Deliver[i].Length);
        if (fx.Connected) Interlocked.Increment(ref _connectionsOpened);
        if (fx.Closed) Interlocked.Increment(ref _connectionsClosed);
    }
}
