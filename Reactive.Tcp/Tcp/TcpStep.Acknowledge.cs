using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

public static partial class TcpStep
{
    /// <summary>
    /// The ACK field in a synchronised state: new data acknowledged, duplicate ACKs (fast
    /// retransmit, NewReno recovery), window updates, and the FIN-related state changes.
    /// Returns false when the segment must be dropped.
    /// </summary>
    private static bool OnAck(Tcb tcb, in TcpSegment seg, long now, TcpEffects fx)
    {
        var ack = seg.Ack;
        if (ack > tcb.SndMax)
        {
            // Acknowledges something never sent.
            SendChallengeAck(tcb, fx);
            fx.Dropped = true;
            return false;
        }
        if (ack < tcb.SndUna - (int)Math.Min(tcb.MaxSndWnd, int.MaxValue))
        {
            // Far below SND.UNA: a blind injection attempt (RFC 5961 §5.2).
            SendChallengeAck(tcb, fx);
            fx.Dropped = true;
            return false;
        }

        long scaledWindow = (long)seg.Window << tcb.SndWndShift;
        tcb.AckedThisRound = true;
        if (tcb.SackEnabled && seg.Options.SackCount > 0) TakeSackBlocks(tcb, seg);
        if (ack > tcb.SndUna)
        {
            OnNewAck(tcb, ack, now, fx);
            // RFC 7323 §4: with timestamps every new ACK measures the round trip, retransmissions
            // included, since the echo says which transmission it answers.
            if (tcb.TimestampsEnabled && seg.Options.HasTimestamps && seg.Options.TsEcr != 0)
            {
                long rttMs = unchecked((int)(tcb.TsNow - seg.Options.TsEcr));
                if (rttMs >= 0 && rttMs < 600_000) tcb.Rtt.Sample(Math.Max(rttMs, 1) * TimeSpan.TicksPerMillisecond);
            }
        }
        else if (ack == tcb.SndUna && seg.Payload.Length == 0 && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0
                 && scaledWindow == tcb.SndWnd && tcb.SndMax > tcb.SndUna)
        {
            OnDuplicateAck(tcb, now, fx);
        }
        if (seg.Has(TcpFlags.Ece)) OnEcnEcho(tcb, ack, now);

        // Window update, only from a segment at least as new as the last one used (RFC 9293 §3.10.7.4).
        if (tcb.SndWl1 < seg.Seq || (tcb.SndWl1 == seg.Seq && tcb.SndWl2 <= ack))
        {
            tcb.SndWnd = scaledWindow;
            tcb.MaxSndWnd = Math.Max(tcb.MaxSndWnd, scaledWindow);
            tcb.SndWl1 = seg.Seq;
            tcb.SndWl2 = ack;
            if (scaledWindow > 0) { tcb.PersistAt = long.MaxValue; tcb.PersistBackoff = 0; }
        }

        // With SACK, enough data held above SND.UNA means it is lost whether or not the ACKs
        // counted as duplicates (RFC 6675 §5, IsLost(SND.UNA)).
        if (tcb.SackEnabled && !tcb.InRecovery && tcb.Cwnd != long.MaxValue && tcb.Config.DupAckThreshold > 0
            && tcb.Scoreboard.BytesBelow(tcb.SndMax) >= tcb.Config.DupAckThreshold * tcb.EffectiveMss)
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
    private static bool OurFinAcked(Tcb tcb) => tcb.FinSent && tcb.SndUna > tcb.FinSeq;

    private static void OnNewAck(Tcb tcb, SeqNum ack, long now, TcpEffects fx)
    {
        int acked = ack - tcb.SndUna;
        var dataEnd = SeqNum.Min(ack, tcb.SendDataEnd);
        int released = dataEnd - tcb.SendBufferStart;
        if (released > 0)
        {
            tcb.SendBuffer.Discard(released);
            tcb.SendBufferStart = tcb.SendBufferStart + released;
            fx.SendSpaceFreed = true;
        }
        tcb.SndUna = ack;
        if (tcb.SndNxt < ack) tcb.SndNxt = ack;
        tcb.ProbeAt = long.MaxValue; // Re-armed by Output while data stays outstanding.
        tcb.ProbeOutstanding = false;
        tcb.Scoreboard.DiscardBelow(ack);
        if (tcb.HighRxt < ack) tcb.HighRxt = ack;
        tcb.LimitedTransmit = 0;

        // Karn: only a segment sent once gives a sample (retransmission clears RttSeq).
        if (tcb.RttSeq is { } timed && ack >= timed)
        {
            tcb.Rtt.Sample(now - tcb.RttStart);
            tcb.RttSeq = null;
        }
        tcb.Rtt.ResetBackoff();
        tcb.Retries = 0;

        if (tcb.Cwnd != long.MaxValue)
        {
            int mss = tcb.EffectiveMss;
            if (tcb.InRecovery)
            {
                if (ack >= tcb.Recover)
                {
                    // Full ACK (RFC 6582 §3.2 step 3, option 1): min(ssthresh, max(FlightSize, SMSS) + SMSS),
                    // so an emptied pipe restarts with two segments, not one that waits for a delayed ACK.
                    tcb.InRecovery = false;
                    tcb.Cwnd = Math.Max(Math.Min(tcb.Ssthresh, Math.Max(tcb.BytesInFlight, mss) + mss), mss);
                }
                else if (tcb.SackEnabled)
                {
                    // RFC 6675: the scoreboard, not the ACK count, says what to resend (see Output).
                }
                else
                {
                    // Partial ACK (RFC 6582): the next hole is lost too; resend it now.
                    RetransmitOldest(tcb, now, fx);
                    tcb.Cwnd = Math.Max(tcb.Cwnd - acked + mss, mss);
                }
            }
            else
            {
                tcb.Congestion?.OnAck(tcb, acked, now);
            }
        }
        else if (tcb.InRecovery && ack >= tcb.Recover)
        {
            tcb.InRecovery = false;
        }
        if (!tcb.InRecovery) tcb.DupAcks = 0;

        tcb.TransmitCheckAt = tcb.SndUna == tcb.SndMax ? long.MaxValue : now + tcb.Rtt.Rto;
    }

    private static void OnDuplicateAck(Tcb tcb, long now, TcpEffects fx)
    {
        int threshold = tcb.Config.DupAckThreshold;
        if (threshold <= 0) return;
        tcb.DupAcks++;
        int mss = tcb.EffectiveMss;
        if (tcb.InRecovery)
        {
            // Each dup ACK means a segment left the network; with SACK, the pipe estimate says so instead.
            if (tcb.Cwnd != long.MaxValue && !tcb.SackEnabled) tcb.Cwnd += mss;
            return;
        }
        if (tcb.DupAcks < threshold)
        {
            // Limited transmit (RFC 3042, RFC 5681 §3.2), with or without SACK: each of the first
            // duplicate ACKs lets one new segment out.
            if (tcb.Cwnd != long.MaxValue) tcb.LimitedTransmit = tcb.DupAcks * mss;
            return;
        }
        if (tcb.SackEnabled && tcb.Cwnd != long.MaxValue) { EnterSackRecovery(tcb, now, fx); return; }
        if (tcb.DupAcks != threshold) return;
        // Fast retransmit (RFC 5681 §3.2), not again for losses from the same window (RFC 6582 §3.2).
        tcb.InRecovery = true;
        tcb.Recover = tcb.SndMax;
        tcb.LimitedTransmit = 0;
        if (tcb.Congestion is { } congestion)
        {
            congestion.OnCongestionEvent(tcb, now);
            tcb.Cwnd = tcb.Ssthresh + 3L * mss; // NewReno's inflation for the three segments that left
        }
        RetransmitOldest(tcb, now, fx);
    }

    /// <summary>Adds the peer's SACK blocks to the scoreboard, ignoring any that are stale or claim unsent data.</summary>
    private static void TakeSackBlocks(Tcb tcb, in TcpSegment seg)
    {
        var una = SeqNum.Max(tcb.SndUna, seg.Ack);
        for (int i = 0; i < seg.Options.SackCount; i++)
        {
            var block = seg.Options.Sack[i];
            if (block.Right <= block.Left || block.Right <= una || block.Right > tcb.SndMax) continue;
            tcb.Scoreboard.Add(SeqNum.Max(block.Left, una), block.Right);
        }
    }

    /// <summary>Loss detected with SACK (RFC 6675 §5): halve the window once and start resending holes.</summary>
    private static void EnterSackRecovery(Tcb tcb, long now, TcpEffects fx)
    {
        int mss = tcb.EffectiveMss;
        tcb.InRecovery = true;
        tcb.Recover = tcb.SndMax;
        tcb.Congestion?.OnCongestionEvent(tcb, now);
        tcb.HighRxt = tcb.SndUna;
        tcb.RecoveryRoundStart = now;
        tcb.RoundStartSndMax = tcb.SndMax;
        tcb.LossEdge = tcb.SndUna;
        tcb.AckedThisRound = false;
        tcb.LimitedTransmit = 0;
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
        var from = SeqNum.Max(tcb.HighRxt, tcb.SndUna);
        if (!tcb.Scoreboard.NextGap(from, highSack, out var start, out int gap)) return 0;
        int dataLeft = Math.Max(0, tcb.SendDataEnd - start);
        int length = Math.Min(Math.Min(PayloadRoom(tcb), gap), dataLeft);
        bool fin = tcb.FinSent && start + length == tcb.FinSeq && gap > length;
        if (length == 0 && !fin) return 0;
        if (!force && SackPipe(tcb) + length > tcb.Cwnd) return 0;
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0);
        var segment = Make(tcb, flags, start);
        if (length > 0) SetPayload(tcb, ref segment, start - tcb.SendBufferStart, length);
        tcb.HighRxt = start + length + (fin ? 1 : 0);
        tcb.RttSeq = null;
        fx.Retransmissions++;
        fx.Send(segment);
        if (tcb.TransmitCheckAt == long.MaxValue) tcb.TransmitCheckAt = now + tcb.Rtt.Rto;
        return Math.Max(length, 1);
    }

    /// <summary>
    /// Bytes believed in the network during SACK recovery: everything above the highest SACKed
    /// byte, plus the holes resent this round (holes not yet resent are taken as lost).
    /// </summary>
    private static long SackPipe(Tcb tcb)
    {
        var highSack = LostLimit(tcb);
        long above = Math.Max(0, tcb.SndMax - highSack);
        var rxt = SeqNum.Min(SeqNum.Max(tcb.HighRxt, tcb.SndUna), highSack);
        long resent = (rxt - tcb.SndUna) - tcb.Scoreboard.BytesBelow(rxt);
        return above + Math.Max(0, resent);
    }

    /// <summary>
    /// Holes below this are presumed lost: below the highest SACKed byte (RFC 6675), or below data
    /// sent more than a round trip ago and still not acknowledged (the time-based rule of RACK, RFC 8985).
    /// </summary>
    private static SeqNum LostLimit(Tcb tcb)
    {
        var edge = SeqNum.Max(tcb.Scoreboard.HighestRight(tcb.SndUna), tcb.LossEdge);
        return SeqNum.Min(SeqNum.Max(edge, tcb.SndUna), tcb.SndMax);
    }
}
