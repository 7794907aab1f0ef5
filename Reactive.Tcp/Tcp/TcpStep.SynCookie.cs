using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

public static partial class TcpStep
{
    /// <summary>
    /// Rebuilds the SYN-RECEIVED block a listener would have kept for a SYN it answered with a
    /// SYN cookie instead (RFC 4987 §3.6): ISS is the cookie (<paramref name="tcb"/> was created
    /// with it), IRS the peer's ISN, the peer's MSS what the cookie encoded, and none of window
    /// scaling, SACK or timestamps (the cookie SYN-ACK offered none). The ACK that returned the
    /// cookie is then handled as usual and completes the handshake.
    /// </summary>
    internal static void RestoreFromSynCookie(Tcb tcb, SeqNum peerIsn, int peerMss)
    {
        tcb.PassiveOpen = true;
        tcb.Irs = peerIsn;
        tcb.RcvNxt = peerIsn + 1;
        // The window the cookie SYN-ACK advertised: unscaled, so at most 64 KiB.
        tcb.RcvAdvertisedEdge = tcb.RcvNxt + (int)Math.Min(tcb.ReceiveBuffer.Capacity, 65535);
        tcb.PeerMss = peerMss;
        tcb.PeerOfferedWindowScale = false;
        tcb.SndWndShift = tcb.RcvWndShift = 0;
        tcb.SackEnabled = false;
        tcb.TimestampsEnabled = false;
        tcb.SndWl1 = peerIsn;
        tcb.SndUna = tcb.Iss;
        tcb.SndNxt = tcb.SndMax = tcb.Iss + 1;
        tcb.State = TcpState.SynReceived;
    }

    /// <summary>The SYN-ACK that carries a SYN cookie: ISS = <paramref name="cookie"/>, only an MSS option, an unscaled window.</summary>
    internal static TcpSegment SynCookieSynAck(in TcpSegment syn, uint cookie, TcpConfig config) => new()
    {
        SourcePort = syn.DestinationPort,
        DestinationPort = syn.SourcePort,
        Seq = new SeqNum(cookie),
        Ack = syn.Seq + 1,
        Flags = TcpFlags.Syn | TcpFlags.Ack,
        Window = (ushort)Math.Min(config.ReceiveBufferSize, 65535),
        Options = new TcpOptions { Mss = (ushort)Math.Min(config.Mss, 65535) },
    };

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
