using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

// The connection's part in the stack's limits: how its block is made (for a listener's SYN, from a
// SYN cookie, or closed), its place in a listener's SYN queue, and the rate limits on ACKs
// answering unacceptable segments.
internal sealed partial class ConnectionState
{
    private ListenerState? _synQueue;
    private long _lastOutOfWindowAckAt = long.MinValue;

    /// <summary>Set when this connection was created by a validated SYN cookie: what the cookie remembered.</summary>
    public SynCookieOptions? Cookie { get; init; }

    /// <summary>Set when this connection takes its 4-tuple over from TIME-WAIT: the ISN to start with, above the old incarnation's.</summary>
    public SeqNum? InitialSequence { get; init; }

    /// <summary>Creates the block for the first input: from a SYN cookie, for a listener's SYN, or CLOSED.</summary>
    private Tcb CreateTcb(in TcpInput first, long now)
    {
        var transport = _transport;
        var config = transport.Config;
        if (Cookie is { } cookie && first.IsSegment)
        {
            ref readonly var ack = ref first.Event.Segment;
            var restored = new Tcb(Key, config, ack.Ack - 1);
            TcpStep.RestoreFromSynCookie(restored, ack, cookie.PeerMss, cookie.Timestamps, cookie.PeerWindowShift, cookie.SackPermitted);
            transport.Ports.TryClaim(Key.LocalPort, exclusive: false);
            return restored;
        }
        var state = TcpState.Closed;
        if (first.IsSegment && !Active && transport.IsListening(Key.LocalPort) && TcpStep.IsPlainSyn(first.Event.Segment))
            state = TcpState.Listen;
        var tcb = new Tcb(Key, config, InitialSequence ?? new SeqNum(transport.NextIsn(Key, now)), state);
        if (state == TcpState.Listen)
        {
            transport.Ports.TryClaim(Key.LocalPort, exclusive: false);
            _synQueue = transport.EnterSynQueue(Key.LocalPort);
        }
        return tcb;
    }

    /// <summary>Gives back the SYN-queue place once the handshake is over, whichever way it ended.</summary>
    private void LeaveSynQueueOnceDone(TcpState state)
    {
        if (_synQueue is null || state is TcpState.Listen or TcpState.SynReceived) return;
        _transport.LeaveSynQueue(_synQueue);
        _synQueue = null;
    }

    /// <summary>Whether the rate limit of its kind lets the step's marked ACK go out now.</summary>
    private bool MayTransmitLimitedAck(LimitedAck kind, long now)
    {
        switch (kind)
        {
            case LimitedAck.Challenge:
                return _transport.TryTakeChallengeAck(now);
            case LimitedAck.OutOfWindow:
                long interval = _transport.Limits.InvalidAckInterval.Ticks;
                if (interval > 0 && _lastOutOfWindowAckAt != long.MinValue && now - _lastOutOfWindowAckAt < interval)
                {
                    _transport.Counters.OutOfWindowAckSuppressed();
                    return false;
                }
                _lastOutOfWindowAckAt = now;
                return true;
            default:
                return true;
        }
    }
}
