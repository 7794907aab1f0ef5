using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Stack;

// The host's part in the stack's limits: its place in a listener's SYN queue, the SYN cookie it
// was created from, and the rate limits on ACKs answering unacceptable segments.
internal sealed partial class ConnectionHost
{
    private ListenerState? _synQueue;
    private long _lastOutOfWindowAckAt = long.MinValue;

    /// <summary>Set when this block was created by a validated SYN cookie: what the cookie remembered.</summary>
    public SynCookieOptions? Cookie { get; init; }

    /// <summary>Creates the block for the first event: from a SYN cookie, for a listener's SYN, or CLOSED.</summary>
    private Tcb CreateTcb(bool fromSegment, in Wire.TcpSegment segment, long now)
    {
        var config = _stack.Options.Tcp;
        if (Cookie is { } cookie && fromSegment)
        {
            var restored = new Tcb(Key, config, segment.Ack - 1);
            TcpStep.RestoreFromSynCookie(restored, segment, cookie.PeerMss, cookie.Timestamps, cookie.PeerWindowShift, cookie.SackPermitted);
            _stack.Ports.TryClaim(Key.LocalPort, exclusive: false);
            return restored;
        }
        var state = TcpState.Closed;
        if (fromSegment && !Active && _stack.IsListening(Key.LocalPort)
            && segment.Has(Wire.TcpFlags.Syn) && (segment.Flags & (Wire.TcpFlags.Ack | Wire.TcpFlags.Rst)) == 0)
            state = TcpState.Listen;
        var tcb = new Tcb(Key, config, new Wire.SeqNum(_stack.NextIsn(Key, now)), state);
        if (state == TcpState.Listen)
        {
            _stack.Ports.TryClaim(Key.LocalPort, exclusive: false);
            _synQueue = _stack.EnterSynQueue(Key.LocalPort);
        }
        return tcb;
    }

    /// <summary>Gives back the SYN-queue place once the handshake is over, whichever way it ended.</summary>
    private void LeaveSynQueueOnceDone(TcpState state)
    {
        if (_synQueue is null || state is TcpState.Listen or TcpState.SynReceived) return;
        _stack.LeaveSynQueue(_synQueue);
        _synQueue = null;
    }

    /// <summary>Whether the rate limit of its kind lets the step's marked ACK go out now.</summary>
    private bool MayTransmitLimitedAck(LimitedAck kind, long now)
    {
        switch (kind)
        {
            case LimitedAck.Challenge:
                return _stack.TryTakeChallengeAck(now);
            case LimitedAck.OutOfWindow:
                long interval = _stack.Options.Limits.InvalidAckInterval.Ticks;
                if (interval > 0 && _lastOutOfWindowAckAt != long.MinValue && now - _lastOutOfWindowAckAt < interval)
                {
                    _stack.Counters.OutOfWindowAckSuppressed();
                    return false;
                }
                _lastOutOfWindowAckAt = now;
                return true;
            default:
                return true;
        }
    }
}
