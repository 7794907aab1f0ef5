using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

internal static partial class TcpStep
{
    /// <summary>A segment arrived (RFC 9293 §3.10.7). Returns true when an ACK must go out now.</summary>
    private static bool OnSegment(Tcb tcb, in TcpSegment seg, long now, TcpEffects fx)
    {
        switch (tcb.State)
        {
            case TcpState.Closed:
                AnswerClosedPort(tcb, seg, fx);
                return false;
            case TcpState.Listen:
                OnSegmentInListen(tcb, seg, now, fx);
                return false;
            case TcpState.SynSent:
                OnSegmentInSynSent(tcb, seg, now, fx);
                return false;
        }

        // A retransmitted SYN (our SYN-ACK was lost), or in a simultaneous open the peer's
        // SYN-ACK: both repeat the peer's ISN, which sits just below RCV.NXT.
        if (tcb.State == TcpState.SynReceived && seg.Has(TcpFlags.Syn) && !seg.Has(TcpFlags.Rst) && seg.Seq == tcb.Receive.Irs)
        {
            // Its timestamp is the one to echo (RFC 7323 §4.3: SEG.SEQ ≤ Last.ACK.sent), unless older:
            // the peer's RTT sample from our answer then times this SYN, not a lost earlier one.
            if (tcb.TimestampsEnabled && seg.Options.HasTimestamps && unchecked((int)(seg.Options.TsVal - tcb.Timestamps.Recent)) > 0)
                tcb.Timestamps.Recent = seg.Options.TsVal;
            if (!seg.Has(TcpFlags.Ack)) { SendSyn(tcb, ack: true, fx); return false; }
            if (!CompleteHandshake(tcb, seg, now, fx)) return false;
            return true;
        }

        // PAWS (RFC 7323 §5.3): a timestamp older than TS.Recent marks an old duplicate.
        if (tcb.Timestamps.Enabled && seg.Options.HasTimestamps && !seg.Has(TcpFlags.Rst)
            && unchecked((int)(seg.Options.TsVal - tcb.Timestamps.Recent)) < 0)
        {
            fx.Dropped = true;
            SendOutOfWindowAck(tcb, seg, fx);
            return false;
        }

        // First: is the segment in the receive window?
        int payloadLength = seg.Payload.Length;
        int segLen = seg.SequenceLength;
        long window = Math.Max(0, tcb.Receive.AdvertisedEdge - tcb.Receive.Nxt);
        if (!IsAcceptable(seg.Seq, segLen, tcb.Receive.Nxt, window))
        {
            if (seg.Has(TcpFlags.Rst)) { fx.Dropped = true; return false; }
            if (tcb.State == TcpState.TimeWait && seg.Has(TcpFlags.Fin))
                tcb.Timers.Arm(TimerKind.TimeWait, now + 2 * tcb.Config.Msl.Ticks); // The peer lost our last ACK: stay the full 2MSL again.
            fx.Dropped = true;
            SendOutOfWindowAck(tcb, seg, fx);
            return false;
        }

        // The segment is acceptable: remember its timestamp to echo (RFC 7323 §4.3), and the
        // peer is alive, so keep-alive starts over.
        if (tcb.Timestamps.Enabled && seg.Options.HasTimestamps && seg.Seq <= tcb.Timestamps.LastAckSent)
            tcb.Timestamps.Recent = seg.Options.TsVal;
        if (tcb.Timers.IsArmed(TimerKind.KeepAlive)) ArmKeepAlive(tcb, now);

        // Second: RST (RFC 5961 §3.2): only an exact match resets; in-window earns a challenge ACK.
        if (seg.Has(TcpFlags.Rst))
        {
            if (seg.Seq != tcb.Receive.Nxt) { SendChallengeAck(tcb, fx); fx.Dropped = true; return false; }
            OnReset(tcb, fx);
            return false;
        }

        // Fourth: a SYN. In SYN-RECEIVED of a passive open the half-open connection returns to
        // LISTEN, that is, it ends and the listener stays (RFC 9293 §3.10.7.4, RFC 1122 §4.2.2.20 (e));
        // in a synchronised state it is answered with a challenge ACK (RFC 5961 §4.2).
        if (seg.Has(TcpFlags.Syn) && tcb.State == TcpState.SynReceived && tcb.PassiveOpen)
        {
            fx.Dropped = true;
            CloseConnection(tcb, TcpError.None, fx);
            return false;
        }
        if (seg.Has(TcpFlags.Syn)) { SendChallengeAck(tcb, fx); fx.Dropped = true; return false; }

        // Fifth: the ACK field.
        if (!seg.Has(TcpFlags.Ack)) { fx.Dropped = true; return false; }
        if (tcb.State == TcpState.SynReceived && !CompleteHandshake(tcb, seg, now, fx)) return false;
        if (!OnAck(tcb, seg, now, fx)) return false;
        if (tcb.State == TcpState.Closed) return false;

        // Seventh: segment text, trimmed to what the window allows.
        bool ackNow = TakeCongestionMarks(tcb, seg);
        int skip = tcb.Receive.Nxt - seg.Seq; // bytes already received (SYN never reaches here)
        if (skip < 0) skip = 0;
        var windowEnd = tcb.Receive.AdvertisedEdge;
        int room = Math.Max(0, windowEnd - (seg.Seq + skip));
        int take = Math.Max(0, Math.Min(payloadLength - skip, room));
        bool finFits = seg.Has(TcpFlags.Fin) && take == payloadLength - skip;
        if (payloadLength > 0)
        {
            bool delayable = false;
            if (tcb.State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 && take > 0)
            {
                // Only plain in-order data may wait for a delayed ACK; anything out of order,
                // trimmed or filling a hole is acknowledged at once (RFC 5681 §4.2).
                delayable = skip == 0 && seg.Seq == tcb.Receive.Nxt && take == payloadLength && tcb.Receive.OutOfOrder.Count == 0
                            && tcb.Config.DelayedAck > TimeSpan.Zero;
                Receive(tcb, seg.Seq + skip, seg.Payload.Span.Slice(skip, take));
            }
            if (!delayable) tcb.Receive.QuickAcks = ReceiveSequenceSpace.QuickAckSegments; // disorder: the sender is recovering
            else if (tcb.Receive.QuickAcks > 0) { tcb.Receive.QuickAcks--; delayable = false; }
            if (delayable && tcb.Receive.OutOfOrder.Count == 0)
            {
                // A segment of two MSS or more (a TSO super-segment handed over whole) is two full-sized segments by itself.
                tcb.Receive.UnackedSegments += take >= 2 * tcb.Config.Mss ? 2 : take >= tcb.Receive.LargestSegmentSeen ? 1 : 0;
                tcb.Receive.LargestSegmentSeen = Math.Max(tcb.Receive.LargestSegmentSeen, take);
                if (tcb.Receive.UnackedSegments >= 2) ackNow = true; // every second full-sized segment
                else tcb.Timers.ArmIfDisarmed(TimerKind.DelayedAck, now + tcb.Config.DelayedAck.Ticks);
            }
            else
            {
                ackNow = true;
            }
        }

        // Eighth: FIN, which may arrive ahead of missing data and wait for it.
        if (finFits && tcb.Receive.PeerFinSeq is null && !tcb.Receive.PeerFinReceived)
            tcb.Receive.PeerFinSeq = seg.Seq + payloadLength;
        if (seg.Has(TcpFlags.Fin)) ackNow = true;
        TakeFinIfInOrder(tcb, now, fx);
        return ackNow;
    }

    /// <summary>The four cases of RFC 9293 §3.10.7.4's acceptability test.</summary>
    private static bool IsAcceptable(SeqNum seq, int segLen, SeqNum rcvNxt, long window)
    {
        if (segLen == 0)
            return window == 0 ? seq == rcvNxt : seq >= rcvNxt && (seq - rcvNxt) < window;
        if (window == 0)
            return seq == rcvNxt; // Special allowance: take its ACK and RST; its data is trimmed away.
        return (seq >= rcvNxt && (seq - rcvNxt) < window)
            || ((seq + (segLen - 1)) >= rcvNxt && ((seq + (segLen - 1)) - rcvNxt) < window);
    }

    /// <summary>Stores in-window data: in order it extends RCV.NXT (and pulls in held data); ahead, it is held.</summary>
    private static void Receive(Tcb tcb, SeqNum seq, ReadOnlySpan<byte> data)
    {
        int offset = seq - tcb.Receive.Nxt;
        ref var ring = ref tcb.Receive.Buffer;
        if (offset > 0)
        {
            if (!tcb.Receive.OutOfOrder.Add(seq, seq + data.Length)) return; // No room to track it: the peer will resend.
            tcb.Receive.LatestOutOfOrder = seq;
            ring.WriteAt(ring.Count + offset, data);
            return;
        }
        ring.WriteAt(ring.Count, data);
        var next = tcb.Receive.OutOfOrder.TakeContiguous(tcb.Receive.Nxt + data.Length);
        ring.Commit(next - tcb.Receive.Nxt);
        tcb.Receive.Nxt = next;
    }

    /// <summary>Consumes the peer's FIN once every byte before it has arrived.</summary>
    private static void TakeFinIfInOrder(Tcb tcb, long now, TcpEffects fx)
    {
        if (tcb.Receive.PeerFinReceived || tcb.Receive.PeerFinSeq is not { } finSeq || finSeq != tcb.Receive.Nxt) return;
        tcb.Receive.PeerFinReceived = true;
        tcb.Receive.Nxt = tcb.Receive.Nxt + 1;
        switch (tcb.State)
        {
            case TcpState.SynReceived:
            case TcpState.Established:
                SetState(tcb, TcpState.CloseWait, fx);
                break;
            case TcpState.FinWait1:
                if (OurFinAcked(tcb)) EnterTimeWait(tcb, now, fx);
                else SetState(tcb, TcpState.Closing, fx);
                break;
            case TcpState.FinWait2:
                EnterTimeWait(tcb, now, fx);
                break;
        }
    }

    /// <summary>
    /// Hands in-order data to the application as far as its read credit goes, and says whether the
    /// window has opened enough to be worth announcing (receiver-side SWS avoidance).
    /// </summary>
    private static bool DeliverReadable(Tcb tcb, TcpEffects fx)
    {
        ref var ring = ref tcb.Receive.Buffer;
        bool delivered = false;
        while (ring.Count > 0 && tcb.Receive.ReadCredit > 0)
        {
            // A slice of the ring, not a copy (a wrapped region goes out as two): the bytes stay put
            // until the ring is next written, which no step does before the host has delivered them.
            var run = ring.HeadRun((int)Math.Min(ring.Count, tcb.Receive.ReadCredit));
            ring.Discard(run.Length);
            if (tcb.Receive.ReadCredit != long.MaxValue) tcb.Receive.ReadCredit -= run.Length;
            fx.DeliverData(run);
            delivered = true;
        }
        if (tcb.Receive.PeerFinReceived && ring.Count == 0 && !tcb.Receive.CompletedSignalled)
        {
            tcb.Receive.CompletedSignalled = true;
            fx.ReceiveCompleted = true;
        }
        if (!delivered || tcb.Receive.PeerFinReceived || !IsSynchronized(tcb.State)) return false;
        // Compare what we could advertise now (the field is 16 bits, scaled) with what we did.
        long free = ring.Capacity - ring.Count;
        long advertisable = Math.Min(free >> tcb.Receive.WndShift, 65535) << tcb.Receive.WndShift;
        long threshold = Math.Min(ring.Capacity / 2, tcb.Config.Mss);
        return advertisable - tcb.Receive.LastAdvertisedWindow >= threshold;
    }
}
