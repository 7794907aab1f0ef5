using Reactive.Tcp.Api;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Stack;

// What happens to a segment that finds no connection block, before it can reach GroupBy: only a
// SYN the SYN queue has room for, or an ACK returning a valid SYN cookie, gets a block; everything
// else is answered (or dropped) here, so a flood of SYNs or stray segments allocates nothing per packet.
public sealed partial class TcpStack
{
    private SynCookies? _synCookies;
    private ChallengeAckBudget? _challengeAcks;
    private int _halfOpen;

    private StackLimits Limits => Options.Limits;

    private SynCookies Cookies => _synCookies ??= new SynCookies(Options.SynCookieSecret);

    /// <summary>Half-open (SYN-RECEIVED) connections the stack holds, across its listeners.</summary>
    public int HalfOpenCount
    {
        get { lock (_gate) return _halfOpen; }
    }

    /// <summary>
    /// Decides the fate of a segment for a 4-tuple with no connection block: true lets it create
    /// one (a SYN the queue has room for, or a valid SYN cookie's ACK, whose block is created here).
    /// Otherwise it has been answered statelessly or dropped, and counted.
    /// </summary>
    private bool AdmitWithoutConnection(ConnectionKey key, in TcpSegment seg)
    {
        if (_listeners.TryGetValue(key.LocalPort, out var listener))
        {
            long now = Scheduler.Now.UtcTicks;
            if (seg.Has(TcpFlags.Syn) && (seg.Flags & (TcpFlags.Ack | TcpFlags.Rst)) == 0)
                return AdmitSyn(key, seg, listener, now);
            if (seg.Has(TcpFlags.Ack) && (seg.Flags & (TcpFlags.Syn | TcpFlags.Rst)) == 0
                && listener.LastCookieAt > now - 2 * SynCookies.Period.Ticks)
                return AdmitCookieAck(key, seg, now);
            if ((seg.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == 0)
            {
                // RFC 9293 §3.10.7.2, fourth: a listener drops a segment with none of SYN, ACK
                // and RST; only an ACK earns a RST there.
                Drops.Increment(DropReason.NoConnection);
                return false;
            }
        }
        RefuseStatelessly(key, seg, DropReason.NoConnection);
        return false;
    }

    private bool AdmitSyn(ConnectionKey key, in TcpSegment syn, ListenerState listener, long now)
    {
        if (_hosts.Count >= Limits.MaxConnections)
        {
            Drops.Increment(DropReason.ConnectionLimit);
            return false;
        }
        if (!listener.SynQueueFull && _halfOpen < Limits.MaxHalfOpen) return true;
        if (!Limits.SynCookies)
        {
            Drops.Increment(DropReason.SynQueueFull);
            return false;
        }
        uint cookie = Cookies.Make(key, syn.Seq, syn.Options.Mss, now, out _);
        var options = SynCookies.EncodeOptions(syn.Options.HasWindowScale ? syn.Options.WindowScale : -1, syn.Options.SackPermitted);
        uint tsVal = SynCookies.TsValFor((uint)(now / TimeSpan.TicksPerMillisecond), options);
        Transmit(key, TcpStep.SynCookieSynAck(syn, cookie, tsVal, Options.Tcp));
        listener.LastCookieAt = now;
        Counters.SynCookieSent();
        return false;
    }

    private bool AdmitCookieAck(ConnectionKey key, in TcpSegment ack, long now)
    {
        int peerWindowShift = -1;
        bool sackPermitted = false;
        if (!Cookies.TryValidate(key, ack.Seq - 1, (ack.Ack - 1).Value, now, out int mss)
            || (ack.Options.HasTimestamps && !SynCookies.TryDecodeOptions(ack.Options.TsEcr, out peerWindowShift, out sackPermitted)))
        {
            Counters.SynCookieRejected();
            RefuseStatelessly(key, ack, DropReason.BadSynCookie);
            return false;
        }
        if (_hosts.Count >= Limits.MaxConnections)
        {
            Drops.Increment(DropReason.ConnectionLimit);
            return false;
        }
        Counters.SynCookieAccepted();
        _hosts[key] = new ConnectionHost(this, key)
        {
            Cookie = new SynCookieOptions(mss, ack.Options.HasTimestamps && Options.Tcp.Timestamps, peerWindowShift, sackPermitted),
        };
        return true;
    }

    /// <summary>RFC 9293 §3.10.7.1 for a segment that found nothing: a RST unless it is one, and no state.</summary>
    private void RefuseStatelessly(ConnectionKey key, in TcpSegment seg, DropReason reason)
    {
        Drops.Increment(reason);
        if (!TcpStep.ResetForClosedPort(seg, out var reset)) return;
        Transmit(key, reset);
        Counters.StatelessReset();
    }

    /// <summary>A listener's new half-open connection takes a place in its SYN queue (the caller is inside the pipeline).</summary>
    internal ListenerState? EnterSynQueue(ushort port)
    {
        if (!_listeners.TryGetValue(port, out var listener)) return null;
        listener.HalfOpen++;
        _halfOpen++;
        return listener;
    }

    /// <summary>The half-open connection is established or gone: its place is free again.</summary>
    internal void LeaveSynQueue(ListenerState listener)
    {
        listener.HalfOpen--;
        _halfOpen--;
    }

    /// <summary>Whether the stack-wide budget allows one more challenge ACK now (counted when not).</summary>
    internal bool TryTakeChallengeAck(long now)
    {
        _challengeAcks ??= new ChallengeAckBudget(Limits.ChallengeAcksPerSecond, Options.Seed ?? Random.Shared.Next());
        if (_challengeAcks.TryTake(now)) return true;
        Counters.ChallengeAckSuppressed();
        return false;
    }

    private TcpException ConnectionLimitReached() =>
        new(TcpError.Aborted, $"The stack already holds {Limits.MaxConnections} connections (StackLimits.MaxConnections); no new connection was attempted.");
}
