using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

public static partial class TcpStep
{
    /// <summary>Copies as much application data as the send buffer has room for; returns the count taken.</summary>
    private static int OnSend(Tcb tcb, ReadOnlyMemory<byte> data)
    {
        if (tcb.FinQueued) return 0;
        if (tcb.State is not (TcpState.SynSent or TcpState.SynReceived or TcpState.Established or TcpState.CloseWait)) return 0;
        return tcb.SendBuffer.Append(data.Span);
    }

    /// <summary>
    /// Sends what the peer's window and the congestion window allow, in MSS-sized segments, and the
    /// FIN once all queued data has gone; arms the retransmission or persist timer.
    /// </summary>
    private static void Output(Tcb tcb, long now, TcpEffects fx)
    {
        if (tcb.State is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck))
            return;
        int mss = tcb.EffectiveMss;
        while (true)
        {
            long window = Math.Min(tcb.SndWnd, tcb.Cwnd);
            long usable = window - tcb.BytesInFlight;
            int available = Math.Max(0, tcb.SendDataEnd - tcb.SndNxt);
            int length = (int)Math.Min(Math.Min(mss, available), Math.Max(0, usable));
            bool fin = tcb.FinQueued && length == available
                       && (!tcb.FinSent || tcb.SndNxt + length == tcb.FinSeq);
            if (length == 0 && !fin) break;

            var flags = TcpFlags.Ack;
            if (length > 0 && length == available) flags |= TcpFlags.Psh;
            if (fin) flags |= TcpFlags.Fin;
            var segment = Make(tcb, flags, tcb.SndNxt);
            if (length > 0) segment.Payload = tcb.SendBuffer.Peek(tcb.SndNxt - tcb.SendBufferStart, length);

            int sequenceLength = length + (fin ? 1 : 0);
            if (tcb.SndNxt < tcb.SndMax) fx.Retransmissions++;
            else if (tcb.RttSeq is null && tcb.Retries == 0)
            {
                tcb.RttSeq = tcb.SndNxt + sequenceLength;
                tcb.RttStart = now;
            }
            if (fin)
            {
                tcb.FinSent = true;
                tcb.FinSeq = tcb.SndNxt + length;
            }
            tcb.SndNxt = tcb.SndNxt + sequenceLength;
            tcb.SndMax = SeqNum.Max(tcb.SndMax, tcb.SndNxt);
            if (tcb.TransmitCheckAt == long.MaxValue) tcb.TransmitCheckAt = now + tcb.Rtt.Rto;
            fx.Send(segment);
            if (fin) break;
        }

        // Data waits behind a closed window with nothing in flight to bring an ACK: probe.
        if (tcb.SndWnd == 0 && tcb.SendDataEnd > tcb.SndNxt && tcb.SndUna == tcb.SndMax && tcb.PersistAt == long.MaxValue)
            tcb.PersistAt = now + tcb.Rtt.Rto;
    }
}
