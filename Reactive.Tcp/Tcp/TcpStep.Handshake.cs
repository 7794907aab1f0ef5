using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

internal static partial class TcpStep
{
    /// <summary>Active open: CLOSED → SYN-SENT.</summary>
    private static void OnConnect(Tcb tcb, long now, TcpEffects fx)
    {
        if (tcb.State != TcpState.Closed) return;
        SetState(tcb, TcpState.SynSent, fx);
        tcb.Send.Una = tcb.Send.Iss;
        tcb.Send.Nxt = tcb.Send.Max = tcb.Send.Iss + 1;
        SendSyn(tcb, ack: false, fx);
        tcb.Rtt.TimedSeq = tcb.Send.Nxt;
        tcb.Rtt.TimedAt = now;
        tcb.Timers.Arm(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
    }

    /// <summary>Sends our SYN (or SYN-ACK) with the options we offer.</summary>
    private static void SendSyn(Tcb tcb, bool ack, TcpEffects fx)
    {
        var segment = Make(tcb, ack ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn, tcb.Send.Iss);
        segment.Flags |= EcnSynFlags(tcb, ack);
        segment.Options.Mss = (ushort)Math.Min(tcb.Config.Mss, 65535);
        if (tcb.Config.Timestamps && (!ack || tcb.Timestamps.Enabled))
        {
            segment.Options.HasTimestamps = true;
            segment.Options.TsVal = tcb.Timestamps.Now;
            segment.Options.TsEcr = ack ? tcb.Timestamps.Recent : 0;
        }
        // SACK-permitted likewise only answers a SYN that offered it (RFC 2018 §2).
        if (tcb.Config.Sack && (!ack || tcb.Recovery.SackEnabled)) segment.Options.SackPermitted = true;
        // A SYN-ACK offers window scale only when the peer's SYN did (RFC 7323 §2.2).
        if (tcb.Config.WindowScaling && (!ack || tcb.Receive.PeerOfferedWindowScale))
        {
            segment.Options.HasWindowScale = true;
            segment.Options.WindowScale = (byte)tcb.Receive.OfferedShift;
        }
        fx.Send(segment);
    }

    /// <summary>Takes the peer's SYN: its ISN, MSS and window scale.</summary>
    private static void TakeSyn(Tcb tcb, in TcpSegment seg)
    {
        tcb.Receive.Irs = seg.Seq;
        tcb.Receive.Nxt = seg.Seq + 1;
        tcb.Receive.AdvertisedEdge = tcb.Receive.Nxt;
        tcb.Send.PeerMss = seg.Options.Mss != 0 ? seg.Options.Mss : tcb.Config.DefaultPeerMss;
        tcb.Receive.PeerOfferedWindowScale = seg.Options.HasWindowScale;
        tcb.Recovery.SackEnabled = tcb.Config.Sack && seg.Options.SackPermitted;
        tcb.Timestamps.Enabled = tcb.Config.Timestamps && seg.Options.HasTimestamps;
        if (tcb.Timestamps.Enabled) tcb.Timestamps.Recent = seg.Options.TsVal;
        NegotiateEcn(tcb, seg);
        if (seg.Options.HasWindowScale && tcb.Config.WindowScaling)
        {
            tcb.Send.WndShift = Math.Min((int)seg.Options.WindowScale, 14);
            tcb.Receive.WndShift = tcb.Receive.OfferedShift;
        }
        else
        {
            tcb.Send.WndShift = 0;
            tcb.Receive.WndShift = 0;
        }
        // The window in a SYN is never scaled (RFC 7323 §2.2).
        tcb.Send.Wnd = seg.Window;
        tcb.Send.MaxWnd = Math.Max(tcb.Send.MaxWnd, tcb.Send.Wnd);
        tcb.Send.Wl1 = seg.Seq;
    }

    /// <summary>LISTEN: a SYN creates SYN-RECEIVED; anything else ends this would-be connection.</summary>
    private static void OnSegmentInListen(Tcb tcb, in TcpSegment seg, long now, TcpEffects fx)
    {
        if (seg.Has(TcpFlags.Rst)) { fx.Dropped = true; CloseConnection(tcb, TcpError.None, fx); return; }
        if (seg.Has(TcpFlags.Ack)) { SendReset(tcb, seg.Ack, fx); CloseConnection(tcb, TcpError.None, fx); return; }
        if (!seg.Has(TcpFlags.Syn)) { fx.Dropped = true; CloseConnection(tcb, TcpError.None, fx); return; }

        tcb.PassiveOpen = true;
        TakeSyn(tcb, seg);
        tcb.Send.Una = tcb.Send.Iss;
        tcb.Send.Nxt = tcb.Send.Max = tcb.Send.Iss + 1;
        SetState(tcb, TcpState.SynReceived, fx);
        SendSyn(tcb, ack: true, fx);
        tcb.Rtt.TimedSeq = tcb.Send.Nxt;
        tcb.Rtt.TimedAt = now;
        tcb.Timers.Arm(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
    }

    /// <summary>SYN-SENT (RFC 9293 §3.10.7.3).</summary>
    private static void OnSegmentInSynSent(Tcb tcb, in TcpSegment seg, long now, TcpEffects fx)
    {
        bool hasAck = seg.Has(TcpFlags.Ack);
        if (hasAck && (seg.Ack <= tcb.Send.Iss || seg.Ack > tcb.Send.Max))
        {
            if (!seg.Has(TcpFlags.Rst)) SendReset(tcb, seg.Ack, fx);
            fx.Dropped = true;
            return;
        }
        if (seg.Has(TcpFlags.Rst))
        {
            if (hasAck) CloseConnection(tcb, TcpError.Refused, fx);
            else fx.Dropped = true;
            return;
        }
        if (!seg.Has(TcpFlags.Syn)) { fx.Dropped = true; return; }

        TakeSyn(tcb, seg);
        if (hasAck)
        {
            AcknowledgeSyn(tcb, seg, now);
            SetState(tcb, TcpState.Established, fx);
            SendAck(tcb, fx);
        }
        else
        {
            // Simultaneous open: both SYNs crossed. Answer with SYN-ACK and wait for its ACK.
            SetState(tcb, TcpState.SynReceived, fx);
            SendSyn(tcb, ack: true, fx);
            tcb.Timers.Arm(TimerKind.TransmitCheck, now + tcb.Rtt.Rto(tcb.Config));
        }
    }

    /// <summary>Our SYN is acknowledged: the send side starts after it.</summary>
    private static void AcknowledgeSyn(Tcb tcb, in TcpSegment seg, long now)
    {
        ArmKeepAlive(tcb, now);
        tcb.Send.Una = seg.Ack;
        if (tcb.Send.Nxt < tcb.Send.Una) tcb.Send.Nxt = tcb.Send.Una;
        tcb.Send.Wl2 = seg.Ack;
        if (tcb.Rtt.TimedSeq is { } timed && seg.Ack >= timed && tcb.Rtt.Backoff == 0) tcb.Rtt.Sample(now - tcb.Rtt.TimedAt, tcb.Config);
        tcb.Rtt.TimedSeq = null;
        if (tcb.Rtt.Backoff > 0) tcb.Rtt.AfterSynRetransmission(tcb.Config); // RFC 6298 §5.7
        tcb.Rtt.ResetBackoff();
        tcb.Timers.Disarm(TimerKind.TransmitCheck);
        OpenCongestionWindow(tcb);
    }

    /// <summary>SYN-RECEIVED: the ACK of our SYN completes the handshake.</summary>
    private static bool CompleteHandshake(Tcb tcb, in TcpSegment seg, long now, TcpEffects fx)
    {
        if (!(seg.Ack > tcb.Send.Una && seg.Ack <= tcb.Send.Max))
        {
            SendReset(tcb, seg.Ack, fx);
            fx.Dropped = true;
            return false;
        }
        AcknowledgeSyn(tcb, seg, now);
        tcb.Send.Wnd = (long)seg.Window << tcb.Send.WndShift;
        tcb.Send.MaxWnd = Math.Max(tcb.Send.MaxWnd, tcb.Send.Wnd);
        tcb.Send.Wl1 = seg.Seq;
        SetState(tcb, tcb.Send.FinQueued ? TcpState.FinWait1 : TcpState.Established, fx);
        fx.Connected = true;
        return true;
    }
}
