using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

internal static partial class TcpStep
{
    /// <summary>Graceful close: a FIN follows the data already queued.</summary>
    private static void OnClose(Tcb tcb, long now, TcpEffects fx)
    {
        switch (tcb.State)
        {
            case TcpState.Closed:
            case TcpState.Listen:
            case TcpState.SynSent:
                CloseConnection(tcb, TcpError.None, fx);
                break;
            case TcpState.SynReceived:
                tcb.Send.FinQueued = true; // Sent once the handshake completes.
                break;
            case TcpState.Established:
                tcb.Send.FinQueued = true;
                SetState(tcb, TcpState.FinWait1, fx);
                break;
            case TcpState.CloseWait:
                tcb.Send.FinQueued = true;
                SetState(tcb, TcpState.LastAck, fx);
                break;
        }
    }

    /// <summary>
    /// Abort: RST to the peer where it still has a connection to reset (RFC 9293 §3.10.5), everything
    /// dropped. Not in CLOSING, LAST-ACK or TIME-WAIT: the peer has closed too and may sit in
    /// TIME-WAIT, which a RST would cut short (RFC 1337).
    /// </summary>
    private static void OnAbort(Tcb tcb, TcpEffects fx)
    {
        if (tcb.State == TcpState.Closed) return;
        if (tcb.State is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait)
            SendReset(tcb, tcb.Send.Max, fx); // SND.NXT may have been pulled back; the peer only honours RCV.NXT.
        CloseConnection(tcb, tcb.State == TcpState.TimeWait ? TcpError.None : TcpError.Aborted, fx);
    }

    /// <summary>An acceptable RST with the exact sequence number.</summary>
    private static void OnReset(Tcb tcb, TcpEffects fx)
    {
        var error = tcb.State switch
        {
            TcpState.SynReceived => tcb.PassiveOpen ? TcpError.None : TcpError.Refused,
            TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait => TcpError.Reset,
            _ => TcpError.None,
        };
        CloseConnection(tcb, error, fx);
    }

    /// <summary>TIME-WAIT: wait 2MSL for stray segments to die out.</summary>
    private static void EnterTimeWait(Tcb tcb, long now, TcpEffects fx)
    {
        SetState(tcb, TcpState.TimeWait, fx);
        tcb.Timers.Disarm(TimerKind.TransmitCheck);
        tcb.Timers.Disarm(TimerKind.Persist);
        tcb.Timers.Arm(TimerKind.TimeWait, now + 2 * tcb.Config.Msl.Ticks);
    }

    /// <summary>A segment for no connection (RFC 9293 §3.10.7.1): answer with RST unless it is one.</summary>
    private static void AnswerClosedPort(Tcb tcb, in TcpSegment seg, TcpEffects fx)
    {
        fx.Dropped = true;
        if (ResetForClosedPort(seg, out var reset)) fx.Send(reset);
        CloseConnection(tcb, TcpError.None, fx);
    }
}
