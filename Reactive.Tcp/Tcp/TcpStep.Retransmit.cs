using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

internal static partial class TcpStep
{
    /// <summary>Handles every deadline that is due at <paramref name="now"/>.</summary>
    private static bool OnTimer(Tcb tcb, long now, TcpEffects fx)
    {
        if (tcb.Timers.IsDue(TimerKind.TimeWait, now) && tcb.State == TcpState.TimeWait)
        {
            CloseConnection(tcb, TcpError.None, fx);
            return false;
        }
        bool ackNow = false;
        if (tcb.Timers.IsDue(TimerKind.DelayedAck, now))
        {
            tcb.Timers.Disarm(TimerKind.DelayedAck);
            ackNow = true;
        }
        if (tcb.Timers.IsDue(TimerKind.KeepAlive, now)) OnKeepAlive(tcb, now, fx);
        if (tcb.Timers.IsDue(TimerKind.TailLossProbe, now)) OnProbeTimeout(tcb, now, fx);
        if (tcb.State == TcpState.Closed) return false;
        if (tcb.Timers.IsDue(TimerKind.RecoveryCheck, now)) tcb.Timers.Disarm(TimerKind.RecoveryCheck); // Output, run after every event, does the looking.
        if (tcb.Timers.IsDue(TimerKind.TransmitCheck, now)) OnTransmitCheck(tcb, now, fx);
        if (tcb.State != TcpState.Closed && tcb.Timers.IsDue(TimerKind.Persist, now)) OnPersist(tcb, now, fx);
        return ackNow;
    }

    /// <summary>
    /// The tail loss probe timer: resend the last segment sent (RFC 8985 §7.3), so the peer's
    /// answer carries SACK information about whatever before it was lost.
    /// </summary>
    private static void OnProbeTimeout(Tcb tcb, long now, TcpEffects fx)
    {
        tcb.Timers.Disarm(TimerKind.TailLossProbe);
        if (tcb.Recovery.InRecovery || tcb.Send.Max == tcb.Send.Una || tcb.State == TcpState.Closed) return;
        tcb.Recovery.ProbeOutstanding = true;
        bool fin = tcb.Send.FinSent && tcb.Send.Max == tcb.Send.FinSeq + 1;
        var dataEnd = fin ? tcb.Send.FinSeq : tcb.Send.Max;
        int length = Math.Min(PayloadRoom(tcb), Math.Max(0, dataEnd - tcb.Send.Una));
        var start = dataEnd - length;
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0);
        if (length > 0) flags |= TcpFlags.Psh;
        var segment = Make(tcb, flags, start);
        if (length > 0) SetPayload(tcb, ref segment, start - tcb.Send.BufferStart, length);
        tcb.Rtt.TimedSeq = null;
        fx.Retransmissions++;
        fx.Send(segment);
    }

    /// <summary>Starts (or restarts) the keep-alive idle period, when keep-alive is on.</summary>
    private static void ArmKeepAlive(Tcb tcb, long now)
    {
        if (tcb.Config.KeepAliveIdle is not { } idle) return;
        tcb.Timers.Arm(TimerKind.KeepAlive, now + idle.Ticks);
        tcb.KeepAliveProbesSent = 0;
    }

    /// <summary>
    /// The connection has been idle: probe with a segment the peer must acknowledge; after too
    /// many unanswered probes the connection is dead (RFC 9293 §3.8.4).
    /// </summary>
    private static void OnKeepAlive(Tcb tcb, long now, TcpEffects fx)
    {
        tcb.Timers.Disarm(TimerKind.KeepAlive);
        if (tcb.State is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait2)) return;
        if (tcb.Send.Max != tcb.Send.Una)
        {
            // Data in flight: the retransmission timer watches the peer already.
            tcb.Timers.Arm(TimerKind.KeepAlive, now + tcb.Config.KeepAliveIdle!.Value.Ticks);
            return;
        }
        if (tcb.KeepAliveProbesSent >= tcb.Config.KeepAliveProbes)
        {
            SendReset(tcb, tcb.Send.Max, fx);
            CloseConnection(tcb, TcpError.TimedOut, fx);
            return;
        }
        tcb.KeepAliveProbesSent++;
        fx.Send(Make(tcb, TcpFlags.Ack, tcb.Send.Una - 1));
        tcb.Timers.Arm(TimerKind.KeepAlive, now + tcb.Config.KeepAliveInterval.Ticks);
    }

    /// <summary>The retransmission timer expired (RFC 6298 §5.4–5.7).</summary>
    private static void OnTransmitCheck(Tcb tcb, long now, TcpEffects fx)
    {
        tcb.Timers.Disarm(TimerKind.TransmitCheck);
        if (tcb.Send.Una == tcb.Send.Max) return; // Everything was acknowledged meanwhile.
        if (IsSynchronized(tcb.State) && tcb.Send.Wnd == 0 && tcb.Send.DataEnd > tcb.Send.Una)
        {
            // The peer closed its window: that is the persist timer's business, not a loss. This
            // holds after our close too (FIN-WAIT-1, LAST-ACK): going on as a loss would send
            // nothing (Output respects the zero window), count retries and end a live connection.
            tcb.Send.Nxt = tcb.Send.Una;
            tcb.Timers.ArmIfDisarmed(TimerKind.Persist, now + tcb.Rtt.Rto(tcb.Config));
            return;
        }

        int limit = tcb.State is TcpState.SynSent or TcpState.SynReceived
            ? tcb.Config.MaxSynRetransmissions
            : tcb.Config.MaxRetransmissions;
        if (tcb.Rtt.Backoff >= limit)
        {
            if (IsSynchronized(tcb.State) || tcb.State == TcpState.SynReceived) SendReset(tcb, tcb.Send.Max, fx);
            CloseConnection(tcb, TcpError.TimedOut, fx);
            return;
        }
        tcb.Rtt.OnTimeout();
        tcb.Rtt.TimedSeq = null; // Karn: no sample from anything sent before a retransmission.

        if (tcb.State is TcpState.SynSent or TcpState.SynReceived && tcb.Send.Una == tcb.Send.Iss)
        {
            SendSyn(tcb, ack: tcb.State == TcpState.SynReceived, fx);
            fx.Retransmissions++;
            tcb.Timers.Arm(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
            return;
        }

        CongestionController(tcb, now)?.OnRetransmissionTimeout(tcb, now);
        tcb.Recovery.InRecovery = false;
        tcb.Recovery.DupAcks = 0;
        // Go back to the oldest unacknowledged byte; Output resends as the windows allow.
        tcb.Send.Nxt = tcb.Send.Una;
        tcb.Timers.Arm(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
        if (!tcb.Congestion.Active)
        {
            // Without congestion control (the minimart preset) resend just the oldest segment.
            RetransmitOldest(tcb, now, fx);
            tcb.Send.Nxt = tcb.Send.Max;
        }
    }

    /// <summary>Resends the oldest unacknowledged segment (fast retransmit, partial ACK, or a preset without congestion control).</summary>
    private static void RetransmitOldest(Tcb tcb, long now, TcpEffects fx)
    {
        int mss = PayloadRoom(tcb);
        int dataLeft = Math.Max(0, tcb.Send.DataEnd - tcb.Send.Una);
        // Only what was sent before: bytes past SND.MAX never went out, may lie beyond the peer's
        // window, and once acknowledged would look to us like an ACK of unsent data, which we
        // drop with an ACK the peer finds out of window, and the two ACK each other forever.
        int sent = Math.Max(0, SeqNum.Min(tcb.Send.Max, tcb.Send.DataEnd) - tcb.Send.Una);
        int length = Math.Min(mss, sent);
        bool fin = tcb.Send.FinSent && tcb.Send.Una + length == tcb.Send.FinSeq;
        if (length == 0 && !fin) return;
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0);
        if (length > 0 && length == dataLeft) flags |= TcpFlags.Psh;
        var segment = Make(tcb, flags, tcb.Send.Una);
        if (length > 0) SetPayload(tcb, ref segment, tcb.Send.Una - tcb.Send.BufferStart, length);
        tcb.Rtt.TimedSeq = null;
        fx.Retransmissions++;
        fx.Send(segment);
        tcb.Timers.ArmIfDisarmed(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
    }

    /// <summary>The persist timer: probe a zero window with a segment the peer must acknowledge.</summary>
    private static void OnPersist(Tcb tcb, long now, TcpEffects fx)
    {
        tcb.Timers.Disarm(TimerKind.Persist);
        if (tcb.Send.Wnd > 0 || tcb.Send.DataEnd <= tcb.Send.Nxt) { tcb.PersistBackoff = 0; return; }
        // An already-acknowledged sequence number is outside the peer's window, so it answers
        // with an ACK carrying its current window, and no data is put at risk.
        fx.Send(Make(tcb, TcpFlags.Ack, tcb.Send.Una - 1));
        tcb.PersistBackoff = Math.Min(tcb.PersistBackoff + 1, 16);
        long interval = tcb.Rtt.Rto(tcb.Config);
        for (int i = 0; i < tcb.PersistBackoff && interval < tcb.Config.MaxRto.Ticks; i++) interval *= 2;
        tcb.Timers.Arm(TimerKind.Persist, now + Math.Min(interval, tcb.Config.MaxRto.Ticks));
    }
}
