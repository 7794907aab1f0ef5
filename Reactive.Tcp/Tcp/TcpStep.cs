using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// The TCP state machine as one function: <c>(state, event, now) → (state, effects)</c>.
/// It reads no clock (time arrives as <c>now</c>, in <see cref="TimeSpan"/> ticks), does no I/O and
/// takes no locks; the same function is hosted by the live stack and by the marble runner. The
/// <see cref="Tcb"/> is updated in place because a step owns it exclusively and copying it per
/// segment would allocate; given the same block, event and time, a step always does the same.
/// Split by concern across files: handshake, receive, send, acknowledgment/retransmission, reset,
/// close.
/// </summary>
internal static partial class TcpStep
{
    /// <summary>Applies one event to <paramref name="tcb"/> at time <paramref name="now"/>, writing what to do into <paramref name="effects"/>.</summary>
    /// <param name="tcb">The connection's state; changed in place.</param>
    /// <param name="ev">What happened.</param>
    /// <param name="now">Current time in ticks.</param>
    /// <param name="effects">Cleared, then filled with the step's effects.</param>
    public static void Handle(Tcb tcb, in TcpEvent ev, long now, TcpEffects effects)
    {
        effects.Clear();
        tcb.Timestamps.Now = (uint)(now / TimeSpan.TicksPerMillisecond);
        var before = tcb.State;
        var wasClosed = before == TcpState.Closed && ev.Kind != TcpEventKind.Connect && ev.Kind != TcpEventKind.Segment;
        int transmitMark;
        bool ackNow = false;
        switch (ev.Kind)
        {
            case TcpEventKind.Segment:
                ackNow = OnSegment(tcb, ev.Segment, now, effects);
                break;
            case TcpEventKind.Connect:
                OnConnect(tcb, now, effects);
                break;
            case TcpEventKind.Send:
                effects.Accepted = OnSend(tcb, ev.Data);
                break;
            case TcpEventKind.Close:
                OnClose(tcb, now, effects);
                break;
            case TcpEventKind.Abort:
                OnAbort(tcb, effects);
                break;
            case TcpEventKind.ReadCredit:
                tcb.Receive.ReadCredit = ev.Count <= 0 ? 0 : tcb.Receive.ReadCredit > long.MaxValue - ev.Count ? long.MaxValue : tcb.Receive.ReadCredit + ev.Count;
                break;
            case TcpEventKind.Timer:
                ackNow = OnTimer(tcb, now, effects);
                break;
            case TcpEventKind.PathMtu:
                OnPathMtu(tcb, ev, effects);
                break;
        }

        if (wasClosed && !effects.Closed)
        {
            // An event for a connection that no longer exists: nothing to do but say it is gone.
            effects.Closed = true;
            effects.Error = tcb.Error;
        }

        if (tcb.State != TcpState.Closed)
        {
            ackNow |= DeliverReadable(tcb, effects);
            transmitMark = effects.Transmit.Count;
            Output(tcb, now, effects);
            if (ackNow && effects.Transmit.Count == transmitMark && IsSynchronized(tcb.State))
                SendAck(tcb, effects);
        }

        if (tcb.State != before) effects.PreviousState = before;
    }

    /// <summary>True in the states where both sequence spaces are synchronised.</summary>
    public static bool IsSynchronized(TcpState state) =>
        state is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait
            or TcpState.Closing or TcpState.LastAck or TcpState.TimeWait;

    private static void SetState(Tcb tcb, TcpState state, TcpEffects fx)
    {
        if (tcb.State == state) return;
        tcb.State = state;
        if (state == TcpState.Established) fx.Connected = true;
    }

    /// <summary>Ends the connection: CLOSED, timers disarmed, the host told why.</summary>
    private static void CloseConnection(Tcb tcb, TcpError error, TcpEffects fx)
    {
        tcb.State = TcpState.Closed;
        if (tcb.Error == TcpError.None) tcb.Error = error;
        tcb.Timers.DisarmAll();
        fx.Closed = true;
        fx.Error = tcb.Error;
    }

    /// <summary>A segment of ours with the window and (if set) ACK fields filled in.</summary>
    private static TcpSegment Make(Tcb tcb, TcpFlags flags, SeqNum seq)
    {
        var segment = new TcpSegment
        {
            SourcePort = tcb.Key.LocalPort,
            DestinationPort = tcb.Key.RemotePort,
            Seq = seq,
            Flags = flags | EcnAckFlags(tcb, flags),
        };
        if ((flags & TcpFlags.Ack) != 0)
        {
            segment.Ack = tcb.Receive.Nxt;
            if (tcb.Recovery.SackEnabled && tcb.Receive.OutOfOrder.Count > 0 && (flags & TcpFlags.Syn) == 0) AddSackBlocks(tcb, ref segment.Options);
            // Any segment carrying this ACK satisfies a pending delayed ACK.
            tcb.Timers.Disarm(TimerKind.DelayedAck);
            tcb.Receive.UnackedSegments = 0;
            tcb.Timestamps.LastAckSent = tcb.Receive.Nxt;
        }
        if (tcb.Timestamps.Enabled && (flags & (TcpFlags.Rst | TcpFlags.Syn)) == 0)
        {
            segment.Options.HasTimestamps = true;
            segment.Options.TsVal = tcb.Timestamps.Now;
            segment.Options.TsEcr = tcb.Timestamps.Recent;
        }
        if ((flags & TcpFlags.Rst) == 0) segment.Window = AdvertiseWindow(tcb, (flags & TcpFlags.Syn) != 0);
        return segment;
    }

    /// <summary>
    /// Payload room in a data segment: the MSS less the options it will carry (RFC 6691), so a
    /// segment with SACK blocks still fits the peer's MSS and the link MTU.
    /// </summary>
    private static int PayloadRoom(Tcb tcb)
    {
        int optionBytes = tcb.Timestamps.Enabled ? 12 : 0;
        if (tcb.Recovery.SackEnabled && tcb.Receive.OutOfOrder.Count > 0)
            optionBytes += 4 + 8 * Math.Min(tcb.Receive.OutOfOrder.Count, tcb.Timestamps.Enabled ? 3 : 4);
        return Math.Max(1, tcb.EffectiveMss - optionBytes);
    }

    /// <summary>
    /// Payload of one super-segment: as many whole segments of <paramref name="room"/> as fit
    /// <see cref="TcpConfig.SendOffloadSize"/>, or one segment without offload. Only when the peer
    /// takes segments as large as ours, because the link cuts at its MTU, not at the peer's MSS.
    /// </summary>
    private static int OffloadRoom(Tcb tcb, int room)
    {
        int limit = tcb.Config.SendOffloadSize;
        if (limit <= 0 || tcb.Send.PeerMss < tcb.Config.Mss) return room;
        int headers = 40 + tcb.EffectiveMss - room; // IPv4 and TCP headers with this segment's options
        return Math.Max(1, (limit - headers) / room) * room;
    }

    /// <summary>
    /// Reports the out-of-order ranges we hold (RFC 2018 §4): the one the latest arrival touched
    /// first, then the others from the lowest, as many as fit.
    /// </summary>
    private static void AddSackBlocks(Tcb tcb, ref TcpOptions options)
    {
        var ranges = tcb.Receive.OutOfOrder.Ranges;
        int first = -1;
        if (tcb.Receive.LatestOutOfOrder is { } latest)
        {
            for (int i = 0; i < ranges.Count; i++)
                if (latest >= ranges[i].Left && latest < ranges[i].Right) { first = i; break; }
        }
        int count = 0;
        if (first >= 0) options.Sack[count++] = ranges[first];
        for (int i = 0; i < ranges.Count && count < 4; i++)
            if (i != first) options.Sack[count++] = ranges[i];
        options.SackCount = count;
    }

    /// <summary>The window field to send, remembering the right edge it promises.</summary>
    private static ushort AdvertiseWindow(Tcb tcb, bool syn)
    {
        long free = tcb.Receive.Buffer.Capacity - tcb.Receive.Buffer.Count;
        int shift = syn ? 0 : tcb.Receive.WndShift;
        long field = Math.Min(free >> shift, 65535);
        long window = field << shift;
        var edge = tcb.Receive.Nxt + (int)window;
        if (edge > tcb.Receive.AdvertisedEdge) tcb.Receive.AdvertisedEdge = edge;
        tcb.Receive.LastAdvertisedWindow = window;
        return (ushort)field;
    }

    // SND.MAX, not SND.NXT: after a timeout pulls SND.NXT back, the peer's RCV.NXT is already past
    // it, and a bare ACK below RCV.NXT is unacceptable there: it would be dropped unread and
    // answered with an ACK, and two stacks in that state ACK each other forever (as BSD does).
    private static void SendAck(Tcb tcb, TcpEffects fx) => fx.Send(Make(tcb, TcpFlags.Ack, tcb.Send.Max));

    /// <summary>A challenge ACK (RFC 5961): sent only while the stack-wide budget lasts (§7).</summary>
    private static void SendChallengeAck(Tcb tcb, TcpEffects fx)
    {
        fx.MarkNextAsLimited(LimitedAck.Challenge);
        SendAck(tcb, fx);
    }

    /// <summary>
    /// The duplicate ACK for an unacceptable segment. A SYN earns a challenge ACK whatever its
    /// sequence number (RFC 5961 §4.2). Without data or FIN it is rate-limited per connection (two
    /// stacks that disagree would otherwise ACK each other in a loop); a data segment is always
    /// answered, since a lost ACK makes its sender retransmit it.
    /// </summary>
    private static void SendOutOfWindowAck(Tcb tcb, in TcpSegment seg, TcpEffects fx)
    {
        if (seg.Has(TcpFlags.Syn)) fx.MarkNextAsLimited(LimitedAck.Challenge);
        else if (seg.SequenceLength == 0) fx.MarkNextAsLimited(LimitedAck.OutOfWindow);
        SendAck(tcb, fx);
    }

    private static void SendReset(Tcb tcb, SeqNum seq, TcpEffects fx) => fx.Send(Make(tcb, TcpFlags.Rst, seq));
}
