using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

internal static partial class TcpStep
{
    /// <summary>
    /// Rebuilds the SYN-RECEIVED block a listener would have kept for a SYN it answered with a
    /// SYN cookie instead (RFC 4987 §3.6): ISS is the cookie (<paramref name="tcb"/> was created
    /// with it), IRS the peer's ISN, the peer's MSS what the cookie encoded. Window scaling and
    /// SACK only when the cookie SYN-ACK carried timestamps to remember them in (the returning ACK
    /// has a timestamp option then; <paramref name="peerWindowShift"/> is −1 when the peer offered
    /// no window scale). The ACK that returned the cookie is then handled as usual and completes the handshake.
    /// </summary>
    internal static void RestoreFromSynCookie(Tcb tcb, in TcpSegment ack, int peerMss, bool timestamps, int peerWindowShift, bool sackPermitted)
    {
        tcb.PassiveOpen = true;
        tcb.Receive.Irs = ack.Seq - 1;
        tcb.Receive.Nxt = ack.Seq;
        // The window the cookie SYN-ACK advertised: a SYN's is never scaled, so at most 64 KiB.
        tcb.Receive.AdvertisedEdge = tcb.Receive.Nxt + (int)Math.Min(tcb.Receive.Buffer.Capacity, 65535);
        tcb.Send.PeerMss = peerMss;
        tcb.Timestamps.Enabled = timestamps && tcb.Config.Timestamps;
        if (tcb.Timestamps.Enabled) tcb.Timestamps.Recent = ack.Options.TsVal;
        tcb.Recovery.SackEnabled = tcb.Timestamps.Enabled && sackPermitted && tcb.Config.Sack;
        tcb.Receive.PeerOfferedWindowScale = tcb.Timestamps.Enabled && peerWindowShift >= 0;
        if (tcb.Receive.PeerOfferedWindowScale && tcb.Config.WindowScaling)
        {
            tcb.Send.WndShift = Math.Min(peerWindowShift, 14);
            tcb.Receive.WndShift = tcb.Receive.OfferedShift;
        }
        else tcb.Send.WndShift = tcb.Receive.WndShift = 0;
        tcb.Send.Wl1 = tcb.Receive.Irs;
        tcb.Send.Una = tcb.Send.Iss;
        tcb.Send.Nxt = tcb.Send.Max = tcb.Send.Iss + 1;
        tcb.State = TcpState.SynReceived;
    }

    /// <summary>
    /// The SYN-ACK that carries a SYN cookie: ISS = <paramref name="cookie"/>, an MSS option, an
    /// unscaled window, and when the SYN had timestamps, a timestamp whose TSval is
    /// <paramref name="tsVal"/> plus the window scale and SACK-permitted the SYN asked for.
    /// </summary>
    internal static TcpSegment SynCookieSynAck(in TcpSegment syn, uint cookie, uint tsVal, TcpConfig config)
    {
        var synAck = new TcpSegment
        {
            SourcePort = syn.DestinationPort,
            DestinationPort = syn.SourcePort,
            Seq = new SeqNum(cookie),
            Ack = syn.Seq + 1,
            Flags = TcpFlags.Syn | TcpFlags.Ack,
            Window = (ushort)Math.Min(config.ReceiveBufferSize, 65535),
            Options = new TcpOptions { Mss = (ushort)Math.Min(config.Mss, 65535) },
        };
        if (!(config.Timestamps && syn.Options.HasTimestamps)) return synAck;
        synAck.Options.HasTimestamps = true;
        synAck.Options.TsVal = tsVal;
        synAck.Options.TsEcr = syn.Options.TsVal;
        if (config.Sack && syn.Options.SackPermitted) synAck.Options.SackPermitted = true;
        if (config.WindowScaling && syn.Options.HasWindowScale)
        {
            synAck.Options.HasWindowScale = true;
            synAck.Options.WindowScale = (byte)ReceiveSequenceSpace.OfferedShiftFor(config.ReceiveBufferSize);
        }
        return synAck;
    }

    /// <summary>
    /// The reset a segment for no connection earns (RFC 9293 §3.10.7.1), or false when it earns
    /// none (it is itself a RST). Built without a block, so a flood of stray segments allocates nothing.
    /// </summary>
    internal static bool ResetForClosedPort(in TcpSegment seg, out TcpSegment reset)
    {
        reset = default;
        if (seg.Has(TcpFlags.Rst)) return false;
        reset.SourcePort = seg.DestinationPort;
        reset.DestinationPort = seg.SourcePort;
        if (seg.Has(TcpFlags.Ack))
        {
            reset.Seq = seg.Ack;
            reset.Flags = TcpFlags.Rst;
        }
        else
        {
            reset.Seq = new SeqNum(0);
            reset.Ack = seg.Seq + seg.SequenceLength;
            reset.Flags = TcpFlags.Rst | TcpFlags.Ack;
        }
        return true;
    }
}
