using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

internal static partial class TcpStep
{
    /// <summary>Copies as much application data as the send buffer has room for; returns the count taken.</summary>
    private static int OnSend(Tcb tcb, ReadOnlyMemory<byte> data)
    {
        if (tcb.Send.FinQueued) return 0;
        if (tcb.State is not (TcpState.SynSent or TcpState.SynReceived or TcpState.Established or TcpState.CloseWait)) return 0;
        return tcb.Send.Buffer.Append(data.Span);
    }

    /// <summary>
    /// Sends what the peer's window and the congestion window allow, in MSS-sized segments, and the
    /// FIN once all queued data has gone; arms the retransmission or persist timer.
    /// </summary>
    private static void Output(Tcb tcb, long now, TcpEffects fx)
    {
        if (tcb.State is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck))
            return;
        // The first data (or FIN) after the handshake is about to go out: the controller takes over
        // now, so that its own initial window, if it sets one, governs the first flight.
        if (tcb.Congestion.Controller is null && (tcb.Send.DataEnd > tcb.Send.Nxt || tcb.Send.FinQueued && !tcb.Send.FinSent))
            CongestionController(tcb, now);
        // Payload room depends on the options each segment carries, which do not change within one Output.
        int room = PayloadRoom(tcb);
        int superRoom = OffloadRoom(tcb, room);
        bool sackRecovery = tcb.Recovery.InRecovery && tcb.Recovery.SackEnabled && tcb.Congestion.Active;
        if (sackRecovery)
        {
            // A hole still open a round trip after it was resent means the resend was lost too:
            // start another round instead of waiting for the retransmission timer.
            // A floor keeps a tiny or zero SRTT (an instant virtual wire) from turning rounds into a storm.
            long roundTrip = Math.Max(tcb.Rtt.Srtt > 0 ? tcb.Rtt.Srtt + tcb.Rtt.Srtt / 4 : tcb.Rtt.Rto(tcb.Config) / 2, 2 * TimeSpan.TicksPerMillisecond);
            // Only while the peer keeps answering: a silent peer is the retransmission timer's
            // business, and that timer backs off.
            if (now - tcb.Recovery.RoundStart > roundTrip && tcb.Recovery.AckedThisRound)
            {
                // What was sent before this round began and is still missing is lost, resends included.
                tcb.Recovery.LossEdge = SeqNum.Max(tcb.Recovery.LossEdge, tcb.Recovery.RoundStartSndMax);
                tcb.Recovery.HighRxt = tcb.Send.Una;
                tcb.Recovery.RoundStart = now;
                tcb.Recovery.RoundStartSndMax = tcb.Send.Max;
                tcb.Recovery.AckedThisRound = false;
            }
            while (RetransmitHole(tcb, now, fx, force: false) > 0) { }
            // If no ACK comes to show the holes filled, look again a round trip on (once that has
            // passed, only an ACK can start the next round, so no timer is needed).
            long nextRound = tcb.Recovery.RoundStart + roundTrip + 1;
            if (nextRound > now) tcb.Timers.Arm(TimerKind.RecoveryCheck, nextRound);
            else tcb.Timers.Disarm(TimerKind.RecoveryCheck);
        }
        else
        {
            tcb.Timers.Disarm(TimerKind.RecoveryCheck);
        }
        while (true)
        {
            if (tcb.Recovery.SackEnabled && tcb.Send.Nxt < tcb.Send.Max && tcb.Recovery.Scoreboard.TryFind(tcb.Send.Nxt, out var held))
                tcb.Send.Nxt = held.Right; // Going back after a timeout: skip what the peer already holds.
            long window = Math.Min(tcb.Send.Wnd, !tcb.Congestion.Active ? long.MaxValue : tcb.Congestion.Cwnd + tcb.Recovery.LimitedTransmit);
            long usable = sackRecovery
                ? Math.Min(tcb.Congestion.Cwnd - SackPipe(tcb), tcb.Send.Una + (int)Math.Min(tcb.Send.Wnd, int.MaxValue) - tcb.Send.Nxt)
                : window - tcb.Send.BytesInFlight;
            int remaining = Math.Max(0, tcb.Send.DataEnd - tcb.Send.Nxt);
            int available = remaining;
            if (tcb.Recovery.SackEnabled && tcb.Send.Nxt < tcb.Send.Max && tcb.Recovery.Scoreboard.NextGap(tcb.Send.Nxt, tcb.Send.Max, out _, out int gapLength))
                available = Math.Min(available, gapLength);
            // New data may leave as one super-segment when the link segments it (TSO); resends stay MSS-sized.
            int limit = !sackRecovery && tcb.Send.Nxt >= tcb.Send.Max ? superRoom : room;
            int length = (int)Math.Min(Math.Min(limit, available), Math.Max(0, usable));
            bool fin = tcb.Send.FinQueued && length == remaining
                       && (!tcb.Send.FinSent || tcb.Send.Nxt + length == tcb.Send.FinSeq);
            if (length == 0 && !fin) break;
            bool newData = tcb.Send.Nxt >= tcb.Send.Max;
            if (!fin && length < room && newData && !sackRecovery)
            {
                bool unacknowledged = tcb.Send.Max != tcb.Send.Una;
                // Nagle (RFC 9293 §3.7.4): one small segment in flight at a time.
                if (length == remaining && unacknowledged && !tcb.Config.NoDelay) break;
                // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a window-limited sliver waits for a
                // bigger window unless it is half the largest window offered, or nothing is in flight.
                // (Only the peer's window counts here: a congestion-window limit is not a sliver.)
                long peerRoom = tcb.Send.Wnd - tcb.Send.BytesInFlight;
                if (length < remaining && length >= peerRoom && unacknowledged && length < tcb.Send.MaxWnd / 2) break;
            }

            var flags = TcpFlags.Ack;
            if (length > 0 && length == remaining) flags |= TcpFlags.Psh;
            if (fin) flags |= TcpFlags.Fin;
            var segment = Make(tcb, flags, tcb.Send.Nxt);
            if (length > 0) SetPayload(tcb, ref segment, tcb.Send.Nxt - tcb.Send.BufferStart, length);
            if (newData) MarkNewData(tcb, ref segment);

            int sequenceLength = length + (fin ? 1 : 0);
            if (tcb.Send.Nxt < tcb.Send.Max) fx.Retransmissions++;
            else if (tcb.Rtt.TimedSeq is null && tcb.Rtt.Backoff == 0)
            {
                tcb.Rtt.TimedSeq = tcb.Send.Nxt + sequenceLength;
                tcb.Rtt.TimedAt = now;
            }
            if (fin)
            {
                tcb.Send.FinSent = true;
                tcb.Send.FinSeq = tcb.Send.Nxt + length;
            }
            tcb.Send.Nxt = tcb.Send.Nxt + sequenceLength;
            tcb.Send.Max = SeqNum.Max(tcb.Send.Max, tcb.Send.Nxt);
            tcb.Timers.ArmIfDisarmed(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
            fx.Send(segment);
            if (fin) break;
        }

        // Tail loss probe (RFC 8985 §7): if the last segments of a flight are lost, no SACK will
        // ever report it; two round trips without an ACK send a probe that draws one.
        if (tcb.Recovery.SackEnabled && CongestionControlled(tcb) && !tcb.Recovery.InRecovery && !tcb.Recovery.ProbeOutstanding
            && tcb.Send.Max > tcb.Send.Una && !tcb.Timers.IsArmed(TimerKind.TailLossProbe) && tcb.Rtt.Srtt > 0)
        {
            long pto = Math.Max(2 * tcb.Rtt.Srtt, 10 * TimeSpan.TicksPerMillisecond);
            if (tcb.Send.Max - tcb.Send.Una <= tcb.EffectiveMss) pto += tcb.Config.DelayedAck.Ticks; // a lone segment may wait for a delayed ACK
            if (!tcb.Timers.IsArmed(TimerKind.TransmitCheck) || now + pto < tcb.Timers[TimerKind.TransmitCheck]) tcb.Timers.Arm(TimerKind.TailLossProbe, now + pto);
        }

        // Data waits behind a closed window with nothing in flight to bring an ACK: probe.
        if (tcb.Send.Wnd == 0 && tcb.Send.DataEnd > tcb.Send.Nxt && tcb.Send.Una == tcb.Send.Max && !tcb.Timers.IsArmed(TimerKind.Persist))
            tcb.Timers.Arm(TimerKind.Persist, now + tcb.Rtt.Rto(tcb.Config));
    }

    /// <summary>
    /// Points <paramref name="segment"/>'s payload at the send ring's bytes, in two slices when
    /// they wrap past the ring's end, so that no segment's payload is ever copied to be sent.
    /// </summary>
    private static void SetPayload(Tcb tcb, ref TcpSegment segment, int offset, int length)
    {
        tcb.Send.Buffer.Peek(offset, length, out var head, out var tail);
        segment.SetPayload(head, tail);
    }
}
