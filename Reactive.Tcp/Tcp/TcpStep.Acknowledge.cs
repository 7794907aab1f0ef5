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
            SendAck(tcb, fx);
            fx.Dropped = true;
            return false;
        }
        if (ack < tcb.SndUna - (int)Math.Min(tcb.MaxSndWnd, int.MaxValue))
        {
            // Far below SND.UNA: a blind injection attempt (RFC 5961 §5.2).
            SendAck(tcb, fx);
            fx.Dropped = true;
            return false;
        }

        long scaledWindow = (long)seg.Window << tcb.SndWndShift;
        if (ack > tcb.SndUna)
        {
            OnNewAck(tcb, ack, now, fx);
        }
        else if (ack == tcb.SndUna && seg.Payload.Length == 0 && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0
                 && scaledWindow == tcb.SndWnd && tcb.SndMax > tcb.SndUna)
        {
            OnDuplicateAck(tcb, now, fx);
        }

        // Window update, only from a segment at least as new as the last one used (RFC 9293 §3.10.7.4).
        if (tcb.SndWl1 < seg.Seq || (tcb.SndWl1 == seg.Seq && tcb.SndWl2 <= ack))
        {
            tcb.SndWnd = scaledWindow;
            tcb.MaxSndWnd = Math.Max(tcb.MaxSndWnd, scaledWindow);
            tcb.SndWl1 = seg.Seq;
            tcb.SndWl2 = ack;
            if (scaledWindow > 0) { tcb.PersistAt = long.MaxValue; tcb.PersistBackoff = 0; }
        }

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
                    tcb.InRecovery = false;
                    tcb.Cwnd = Math.Max(Math.Min(tcb.Ssthresh, tcb.BytesInFlight + mss), mss);
                }
                else
                {
                    // Partial ACK (RFC 6582): the next hole is lost too; resend it now.
                    RetransmitOldest(tcb, now, fx);
                    tcb.Cwnd = Math.Max(tcb.Cwnd - acked + mss, mss);
                }
            }
            else if (tcb.Cwnd < tcb.Ssthresh)
            {
                tcb.Cwnd += Math.Min(acked, mss); // Slow start with appropriate byte counting, L = 1.
            }
            else
            {
                tcb.Cwnd += Math.Max(1, (long)mss * mss / tcb.Cwnd);
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
            if (tcb.Cwnd != long.MaxValue) tcb.Cwnd += mss; // Each dup ACK means a segment left the network.
            return;
        }
        if (tcb.DupAcks != threshold) return;
        // Fast retransmit (RFC 5681 §3.2), not again for losses from the same window (RFC 6582 §3.2).
        tcb.InRecovery = true;
        tcb.Recover = tcb.SndMax;
        if (tcb.Cwnd != long.MaxValue)
        {
            tcb.Ssthresh = Math.Max(tcb.BytesInFlight / 2, 2L * mss);
            tcb.Cwnd = tcb.Ssthresh + 3L * mss;
        }
        RetransmitOldest(tcb, now, fx);
    }
}
