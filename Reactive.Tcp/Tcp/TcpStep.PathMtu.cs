using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

internal static partial class TcpStep
{
    /// <summary>
    /// Smallest path MTU a fragmentation-needed error can bring us down to (Linux's min_pmtu):
    /// a forged or broken report cannot shrink segments to a few bytes each.
    /// </summary>
    public const int MinPathMtu = 552;

    // IPv4 and TCP headers without options: what the MTU holds besides the MSS.
    private const int HeadersWithoutOptions = 40;

    /// <summary>
    /// ICMP fragmentation needed (RFC 1191 §6.3): lower the MSS to fit the next-hop MTU and resend
    /// what was in flight at the new size right away, instead of waiting for the retransmission
    /// timer. Only when the quoted sequence number is data we sent and is not yet acknowledged
    /// (RFC 5927 §4.1); otherwise the error is stale or forged and is dropped.
    /// </summary>
    private static void OnPathMtu(Tcb tcb, in TcpEvent ev, TcpEffects fx)
    {
        var quoted = ev.Segment.Seq;
        if (tcb.State is TcpState.Closed or TcpState.Listen || quoted < tcb.Send.Una || quoted >= tcb.Send.Max)
        {
            fx.Dropped = true;
            return;
        }

        int mtu = (int)Math.Clamp(ev.Count, MinPathMtu, ushort.MaxValue);
        int mss = mtu - HeadersWithoutOptions;
        // Only ever lowered: an error about a segment sent before an earlier reduction says
        // nothing new, and the MSS we and the peer announced still bound the result.
        int before = tcb.EffectiveMss;
        if (mss < Math.Min(tcb.Send.PathMss, tcb.Config.Mss)) tcb.Send.PathMss = mss;
        // In SYN-SENT the peer's MSS is not known yet: the lower path MSS waits for the first data.
        if (tcb.EffectiveMss >= before || !IsSynchronized(tcb.State)) return;

        // Everything in flight was cut to the old size and is lost at the bottleneck: go back to
        // SND.UNA so Output resends it at once in smaller segments (as Linux's
        // tcp_simple_retransmit does). A too-small MTU is no sign of congestion, so the congestion
        // window stays as it is.
        tcb.Send.Nxt = tcb.Send.Una;
        tcb.Rtt.TimedSeq = null; // Karn: no RTT sample from resent data.
        tcb.Recovery.InRecovery = false;
        tcb.Recovery.DupAcks = 0;
    }
}
