using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

// Explicit Congestion Notification (RFC 3168): negotiated by the SYNs, a router's CE mark is
// echoed back with ECE until the sender's CWR says it has reacted, and the sender reacts to ECE as
// to a loss (once per window) without retransmitting anything.
internal static partial class TcpStep
{
    private const TcpFlags EcnSetupSyn = TcpFlags.Ece | TcpFlags.Cwr;

    /// <summary>
    /// ECN flags for our SYN or SYN-ACK. Only the first SYN asks (RFC 3168 §6.1.1.1: a SYN that
    /// needs resending may have been dropped for its ECN bits, so the resend falls back, as Linux
    /// does); a SYN-ACK agrees with ECE alone when the peer's SYN asked and we accept.
    /// </summary>
    private static TcpFlags EcnSynFlags(Tcb tcb, bool synAck)
    {
        if (synAck) return tcb.Ecn.Enabled ? TcpFlags.Ece : TcpFlags.None;
        if (tcb.Config.Ecn != EcnMode.On || tcb.Rtt.Backoff > 0) return TcpFlags.None;
        tcb.Ecn.Requested = true;
        return EcnSetupSyn;
    }

    /// <summary>
    /// Decides ECN from the peer's SYN: an ECN-setup SYN (ECE and CWR) to a listener that does not
    /// turn ECN off, or an ECN-setup SYN-ACK (ECE without CWR) answering a SYN that asked. A
    /// simultaneous open stays without ECN.
    /// </summary>
    private static void NegotiateEcn(Tcb tcb, in TcpSegment seg)
    {
        if (seg.Has(TcpFlags.Ack))
            tcb.Ecn.Enabled = tcb.Ecn.Requested && seg.Has(TcpFlags.Ece) && !seg.Has(TcpFlags.Cwr);
        else
            tcb.Ecn.Enabled = tcb.State == TcpState.Listen && tcb.Config.Ecn != EcnMode.Off && seg.Has(EcnSetupSyn);
    }

    /// <summary>ECE on every ACK (not a SYN-ACK) while a congestion mark waits for the peer's CWR.</summary>
    private static TcpFlags EcnAckFlags(Tcb tcb, TcpFlags flags) =>
        tcb.Ecn.Echoing && (flags & (TcpFlags.Ack | TcpFlags.Syn | TcpFlags.Rst)) == TcpFlags.Ack ? TcpFlags.Ece : TcpFlags.None;

    /// <summary>
    /// A new data segment goes out ECN-capable, ECT(0), and carries the CWR owed for a reduction.
    /// Only new data: retransmissions, probes, SYNs and pure ACKs stay Not-ECT (RFC 3168 §6.1.4–6.1.6).
    /// </summary>
    private static void MarkNewData(Tcb tcb, ref TcpSegment segment)
    {
        if (!tcb.Ecn.Enabled || segment.PayloadLength == 0) return;
        segment.Ecn = IpEcn.Ect0;
        if (tcb.Ecn.CwrPending)
        {
            segment.Flags |= TcpFlags.Cwr;
            tcb.Ecn.CwrPending = false;
        }
    }

    /// <summary>Segments after a CE-marked one that are acknowledged at once too (as Linux does).</summary>
    private const int CeQuickAcks = 2;

    /// <summary>
    /// The receiver's side (RFC 3168 §6.1.3): CWR ends the echo, then a CE mark (re)starts it.
    /// Returns true when the segment must be acknowledged at once: marked data, so the sender
    /// hears of the congestion without a delayed ACK's wait; the next few segments are too, since
    /// the sender is about to shrink its window and its CWR should be answered promptly.
    /// </summary>
    private static bool TakeCongestionMarks(Tcb tcb, in TcpSegment seg)
    {
        if (!tcb.Ecn.Enabled) return false;
        if (seg.Has(TcpFlags.Cwr)) tcb.Ecn.Echoing = false;
        if (seg.Ecn != IpEcn.Ce) return false;
        tcb.Ecn.Echoing = true;
        if (seg.Payload.Length == 0) return false;
        tcb.Receive.QuickAcks = Math.Max(tcb.Receive.QuickAcks, 1 + CeQuickAcks); // one is used by this segment itself
        return true;
    }

    /// <summary>
    /// The sender's side (RFC 3168 §6.1.2): an ECE acknowledging data past the last reduction is new
    /// congestion, handled like a loss by the congestion controller but with nothing to resend; ECEs
    /// for the same window are the same congestion. A reduction already made for a loss (recovery)
    /// counts, so then only the CWR is owed.
    /// </summary>
    private static void OnEcnEcho(Tcb tcb, SeqNum ack, long now)
    {
        if (!tcb.Ecn.Enabled || ack <= tcb.Ecn.Recover) return;
        tcb.Ecn.Recover = tcb.Send.Max;
        tcb.Ecn.CwrPending = true;
        if (tcb.Recovery.InRecovery || CongestionController(tcb, now) is not { } controller) return;
        controller.OnCongestionEvent(tcb, now);
        tcb.Ecn.Reductions++;
    }
}
