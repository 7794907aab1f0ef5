using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

// TCP's own answers to questions the hosting transport asks before and around a step, so that
// each decision is made in one place: what opens a connection, what a cookie ACK looks like,
// which states still take data from the application.
internal static partial class TcpStep
{
    /// <summary>A SYN without ACK or RST: the only segment that may open a connection at a listener (RFC 9293 §3.10.7.2).</summary>
    public static bool IsPlainSyn(in TcpSegment seg) =>
        seg.Has(TcpFlags.Syn) && (seg.Flags & (TcpFlags.Ack | TcpFlags.Rst)) == 0;

    /// <summary>An ACK without SYN or RST: what completes a handshake, so what may return a SYN cookie.</summary>
    public static bool IsPlainAck(in TcpSegment seg) =>
        seg.Has(TcpFlags.Ack) && (seg.Flags & (TcpFlags.Syn | TcpFlags.Rst)) == 0;

    /// <summary>
    /// Whether a SYN for the 4-tuple of <paramref name="timeWait"/> (in TIME-WAIT) may open a new
    /// connection rather than be an old duplicate: its timestamp is newer than the last one the old
    /// connection saw (RFC 6191), or, without timestamps on both, its sequence number lies beyond
    /// what the old connection received (RFC 9293 §3.10.7.4, RFC 1122 §4.2.2.13).
    /// </summary>
    public static bool MayReuseTimeWait(Tcb timeWait, in TcpSegment syn)
    {
        if (timeWait.TimestampsEnabled && syn.Options.HasTimestamps)
            return unchecked((int)(syn.Options.TsVal - timeWait.Timestamps.Recent)) > 0;
        return syn.Seq > timeWait.RcvNxt;
    }

    /// <summary>
    /// Whether the application may still queue data on <paramref name="tcb"/>: before our FIN is
    /// queued, in the states that send (RFC 9293 §3.10.2: SEND is refused once closing).
    /// </summary>
    public static bool TakesData(Tcb tcb) =>
        !tcb.FinQueued && tcb.State is TcpState.SynSent or TcpState.SynReceived or TcpState.Established or TcpState.CloseWait;
}
