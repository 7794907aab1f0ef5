using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

internal static partial class TcpStep
{
    /// <summary>
    /// The ACK field in a synchronised state: new data acknowledged, duplicate ACKs (fast
    /// retransmit, NewReno recovery), window updates, and the FIN-related state changes.
    /// Returns false when the segment must be dropped.
    /// </summary>
    private static bool OnAck(Tcb tcb, in TcpSegment seg, long now, TcpEffects fx)
    {
        var ack = seg.Ack;
        if (ack > tcb.Send.Max)
        {
            // Acknowledges something never sent.
            SendChallengeAck(tcb, fx);
            fx.Dropped = true;
            return false;
        }
        if (ack < tcb.Send.Una - (int)Math.Min(tcb.Send.MaxWnd, int.MaxValue))
        {
            // Far below SND.UNA: a blind injection attempt (RFC 5961 §5.2).
            SendChallengeAck(tcb, fx);
            fx.Dropped = true;
            return false;
        }

        long scaledWindow = (long)seg.Window << tcb.Send.WndShift;
        tcb.Recovery.AckedThisRound = true;
        if (tcb.Recovery.SackEnabled && seg.Options.SackCount > 0) TakeSackBlocks(tcb, seg);
        if (ack > tcb.Send.Una)
        {
            OnNewAck(tcb, ack, now, fx);
            // RFC 7323 §4: with timestamps every new ACK measures the round trip, retransmissions
            // included, since the echo says which transmission it answers.
            if (tcb.Timestamps.Enabled && seg.Options.HasTimestamps && seg.Options.TsEcr != 0)
            {
                long rttMs = unchecked((int)(tcb.Timestamps.Now - seg.Options.TsEcr));
                if (rttMs >= 0 && rttMs < 600_000) tcb.Rtt.Sample(Math.Max(rttMs, 1) * TimeSpan.TicksPerMillisecond, tcb.Config);
            }
        }
        else if (ack == tcb.Send.Una && seg.Payload.Length == 0 && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0
                 && scaledWindow == tcb.Send.Wnd && tcb.Send.Max > tcb.Send.Una)
        {
            OnDuplicateAck(tcb, now, fx);
        }
        if (seg.Has(TcpFlags.Ece)) OnEcnEcho(tcb, ack, now);

        // Window update, only from a segment at least as new as the last one used (RFC 9293 §3.10.7.4).
        if (tcb.Send.Wl1 < seg.Seq || (tcb.Send.Wl1 == seg.Seq && tcb.Send.Wl2 <= ack))
        {
            tcb.Send.Wnd = scaledWindow;
            tcb.Send.MaxWnd = Math.Max(tcb.Send.MaxWnd, scaledWindow);
            tcb.Send.Wl1 = seg.Seq;
            tcb.Send.Wl2 = ack;
            if (scaledWindow > 0) { tcb.Timers.Disarm(TimerKind.Persist); tcb.PersistBackoff = 0; }
        }

        // With SACK, enough data held above SND.UNA means it is lost whether or not the ACKs
        // counted as duplicates (RFC 6675 §5, IsLost(SND.UNA)).
        if (tcb.Recovery.SackEnabled && !tcb.Recovery.InRecovery && tcb.Congestion.Active && tcb.Config.DupAckThreshold > 0
            && tcb.Recovery.Scoreboard.BytesBelow(tcb.Send.Max) >= tcb.Config.DupAckThreshold * tcb.EffectiveMss)
            EnterSackRecovery(tcb, now, fx);

        if (OurFinAcked(tcb))
        {
            switch (tcb.State)
            {
                case TcpState.FinWait1:
                    SetState(tcb, TcpState.FinWait2, fx);
                    break;
                case TcpState.Closing:
                    EnterTimeWait(tcb, now, fx);
                    break;
                case TcpState.LastAck:
                    CloseConnection(tcb, TcpError.None, fx);
                    return true;
            }
        }
        return true;
    }

    /// <summary>True once the peer has acknowledged our FIN.</summary>
    private static bool OurFinAcked(Tcb tcb) => tcb.Send.FinSent && tcb.Send.Una > tcb.Send.FinSeq;

    private static void OnNewAck(Tcb tcb, SeqNum ack, long now, TcpEffects fx)
    {
        int acked = ack - tcb.Send.Una;
        var dataEnd = SeqNum.Min(ack, tcb.Send.DataEnd);
        int released = dataEnd - tcb.Send.BufferStart;
        if (released > 0)
        {
            tcb.Send.Buffer.Discard(released);
            tcb.Send.BufferStart = tcb.Send.BufferStart + released;
            fx.SendSpaceFreed = true;
        }
        tcb.Send.Una = ack;
        if (tcb.Send.Nxt < ack) tcb.Send.Nxt = ack;
        tcb.Timers.Disarm(TimerKind.TailLossProbe); // Re-armed by Output while data stays outstanding.
        tcb.Recovery.ProbeOutstanding = false;
        tcb.Recovery.Scoreboard.DiscardBelow(ack);
        if (tcb.Recovery.HighRxt < ack) tcb.Recovery.HighRxt = ack;
        tcb.Recovery.LimitedTransmit = 0;

        // Karn: only a segment sent once gives a sample (retransmission clears RttSeq).
        if (tcb.Rtt.TimedSeq is { } timed && ack >= timed)
        {
            tcb.Rtt.Sample(now - tcb.Rtt.TimedAt, tcb.Config);
            tcb.Rtt.TimedSeq = null;
        }
        tcb.Rtt.ResetBackoff();

        if (tcb.Congestion.Active)
        {
            int mss = tcb.EffectiveMss;
            if (tcb.Recovery.InRecovery)
            {
                if (ack >= tcb.Recovery.Recover)
                {
                    // Full ACK (RFC 6582 §3.2 step 3, option 1): min(ssthresh, max(FlightSize, SMSS) + SMSS),
                    // so an emptied pipe restarts with two segments, not one that waits for a delayed ACK.
                    tcb.Recovery.InRecovery = false;
                    tcb.Congestion.Cwnd = Math.Max(Math.Min(tcb.Congestion.Ssthresh, Math.Max(tcb.Send.BytesInFlight, mss) + mss), mss);
                }
                else if (tcb.Recovery.SackEnabled)
                {
                    // RFC 6675: the scoreboard, not the ACK count, says what to resend (see Output).
                }
                else
                {
                    // Partial ACK (RFC 6582): the next hole is lost too; resend it now.
                    RetransmitOldest(tcb, now, fx);
                    tcb.Congestion.Cwnd = Math.Max(tcb.Congestion.Cwnd - acked + mss, mss);
                }
            }
            else
            {
                CongestionController(tcb, now)?.OnAck(tcb, acked, now);
            }
        }
        else if (tcb.Recovery.InRecovery && ack >= tcb.Recovery.Recover)
        {
            tcb.Recovery.InRecovery = false;
        }
        if (!tcb.Recovery.InRecovery) tcb.Recovery.DupAcks = 0;

        if (tcb.Send.Una == tcb.Send.Max) tcb.Timers.Disarm(TimerKind.TransmitCheck);
        else tcb.Timers.Arm(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
    }

    private static void OnDuplicateAck(Tcb tcb, long now, TcpEffects fx)
    {
        int threshold = tcb.Config.DupAckThreshold;
        if (threshold <= 0) return;
        tcb.Recovery.DupAcks++;
        int mss = tcb.EffectiveMss;
        if (tcb.Recovery.InRecovery)
        {
            // Each dup ACK means a segment left the network; with SACK, the pipe estimate says so instead.
            if (tcb.Congestion.Active && !tcb.Recovery.SackEnabled) tcb.Congestion.Cwnd += mss;
            return;
        }
        if (tcb.Recovery.DupAcks < threshold)
        {
            // Limited transmit (RFC 3042, RFC 5681 §3.2), with or without SACK: each of the first
            // duplicate ACKs lets one new segment out.
            if (tcb.Congestion.Active) tcb.Recovery.LimitedTransmit = tcb.Recovery.DupAcks * mss;
            return;
        }
        if (tcb.Recovery.SackEnabled && tcb.Congestion.Active) { EnterSackRecovery(tcb, now, fx); return; }
        if (tcb.Recovery.DupAcks != threshold) return;
        // Fast retransmit (RFC 5681 §3.2), not again for losses from the same window (RFC 6582 §3.2).
        tcb.Recovery.InRecovery = true;
        tcb.Recovery.Recover = tcb.Send.Max;
        tcb.Recovery.LimitedTransmit = 0;
        if (CongestionController(tcb, now) is { } controller)
        {
            controller.OnCongestionEvent(tcb, now);
            tcb.Congestion.Cwnd = tcb.Congestion.Ssthresh + 3L * mss; // NewReno's inflation for the three segments that left
        }
        RetransmitOldest(tcb, now, fx);
    }

    /// <summary>Adds the peer's SACK blocks to the scoreboard, ignoring any that are stale or claim unsent data.</summary>
    private static void TakeSackBlocks(Tcb tcb, in TcpSegment seg)
    {
        var una = SeqNum.Max(tcb.Send.Una, seg.Ack);
        for (int i = 0; i < seg.Options.SackCount; i++)
        {
            var block = seg.Options.Sack[i];
            if (block.Right <= block.Left || block.Right <= una || block.Right > tcb.Send.Max) continue;
            tcb.Recovery.Scoreboard.Add(SeqNum.Max(block.Left, una), block.Right);
        }
    }

    /// <summary>Loss detected with SACK (RFC 6675 §5): halve the window once and start resending holes.</summary>
    private static void EnterSackRecovery(Tcb tcb, long now, TcpEffects fx)
    {
        int mss = tcb.EffectiveMss;
        tcb.Recovery.InRecovery = true;
        tcb.Recovery.Recover = tcb.Send.Max;
        CongestionController(tcb, now)?.OnCongestionEvent(tcb, now);
        tcb.Recovery.HighRxt = tcb.Send.Una;
        tcb.Recovery.RoundStart = now;
        tcb.Recovery.RoundStartSndMax = tcb.Send.Max;
        tcb.Recovery.LossEdge = tcb.Send.Una;
        tcb.Recovery.AckedThisRound = false;
        tcb.Recovery.LimitedTransmit = 0;
        // The first hole goes out at once, whatever the pipe says (RFC 6675 §5, step 4.3).
        RetransmitHole(tcb, now, fx, force: true);
    }

    /// <summary>
    /// Resends the next hole above HIGH.RXT below the highest SACKed byte, if any; returns the bytes
    /// sent. Unless <paramref name="force"/>, only when the pipe leaves room in the window.
    /// </summary>
    private static int RetransmitHole(Tcb tcb, long now, TcpEffects fx, bool force)
    {
        var highSack = LostLimit(tcb);
        var from = SeqNum.Max(tcb.Recovery.HighRxt, tcb.Send.Una);
        if (!tcb.Recovery.Scoreboard.NextGap(from, highSack, out var start, out int gap)) return 0;
        int dataLeft = Math.Max(0, tcb.Send.DataEnd - start);
        int length = Math.Min(Math.Min(PayloadRoom(tcb), gap), dataLeft);
        bool fin = tcb.Send.FinSent && start + length == tcb.Send.FinSeq && gap > length;
        if (length == 0 && !fin) return 0;
        if (!force && SackPipe(tcb) + length > tcb.Congestion.Cwnd) return 0;
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0);
        var segment = Make(tcb, flags, start);
        if (length > 0) SetPayload(tcb, ref segment, start - tcb.Send.BufferStart, length);
        tcb.Recovery.HighRxt = start + length + (fin ? 1 : 0);
        tcb.Rtt.TimedSeq = null;
        fx.Retransmissions++;
        fx.Send(segment);
        tcb.Timers.ArmIfDisarmed(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
        return Math.Max(length, 1);
    }

    /// <summary>
    /// Bytes believed in the network during SACK recovery: everything above the highest SACKed
    /// byte, plus the holes resent this round (holes not yet resent are taken as lost).
    /// </summary>
    private static long SackPipe(Tcb tcb)
    {
        var highSack = LostLimit(tcb);
        long above = Math.Max(0, tcb.Send.Max - highSack);
        var rxt = SeqNum.Min(SeqNum.Max(tcb.Recovery.HighRxt, tcb.Send.Una), highSack);
        long resent = (rxt - tcb.Send.Una) - tcb.Recovery.Scoreboard.BytesBelow(rxt);
        return above + Math.Max(0, resent);
    }

    /// <summary>
    /// Holes below this are presumed lost: below the highest SACKed byte (RFC 6675), or below data
    /// sent more than a round trip ago and still not acknowledged (the time-based rule of RACK, RFC 8985).
    /// </summary>
    private static SeqNum LostLimit(Tcb tcb)
    {
        var edge = SeqNum.Max(tcb.Recovery.Scoreboard.HighestRight(tcb.Send.Una), tcb.Recovery.LossEdge);
        return SeqNum.Min(SeqNum.Max(edge, tcb.Send.Una), tcb.Send.Max);
    }
}
