namespace Reactive.Tcp.Tests.Conformance;

/// <summary>
/// Why Linux diverges from a scenario (or a note on a pass), checked against the kernel's
/// behaviour seen in the runner's report. Each entry is written by hand; the table generator
/// fails when a divergence has none.
/// </summary>
internal static class ConformanceNotes
{
    private static readonly Dictionary<string, string> Notes = new(StringComparer.Ordinal)
    {
        ["close/passive-close.marble"] =
            "Linux does not ACK the peer's FIN by itself: on a FIN it enters ping-pong (interactive) mode and delays the ACK, expecting the application to answer; the application's close at 7 ms comes first, so the ACK rides on Linux's FIN (`f` ACKs 5002). RFC 9293 allows delaying the ACK; RxTcp ACKs a FIN at once. Timing-dependent: in some runs Linux is still in quick-ACK mode and ACKs the FIN at once (then it passes).",
        ["data/fin-with-data.marble"] =
            "Same cause as `close/passive-close`: Linux delays the ACK of a segment carrying a FIN (ping-pong mode after the FIN); with nothing to piggyback it on, the delayed-ACK timer sent it ≈ 45 ms later. RxTcp ACKs data+FIN at once. Both are allowed (an ACK may be delayed, at most 500 ms).",
        ["data/delayed-ack.marble"] =
            "Linux starts every connection in quick-ACK mode (the first segments are ACKed at once, `tcp_incr_quickack`), so it ACKs \"hello\" immediately instead of after 40 ms, and ACKs each of the two 1000-byte segments separately. RxTcp delays from the first segment. RFC 9293 §3.8.6.3 says SHOULD delay, so both conform; Linux's delayed ACK is 40 ms minimum and adaptive.",
        ["data/persist-probe.marble"] =
            "Linux re-arms its persist (zero-window probe) timer on every ACK it receives while the window is closed (`tcp_ack_probe`), and its timer is RTO ≈ 200 ms + SRTT, so it fires a few ms after RxTcp's. The scripted answer `Z` (timed for RxTcp's probe at 205 ms) arrives just before Linux's timer and restarts it: Linux's first probe comes at ≈ 410 ms. The window update then releases the data at once, as expected.",
        ["data/window-trim.marble"] =
            "Linux keeps a whole in-sequence segment that runs past the right edge of the window it advertised when its receive buffer has room (`SO_RCVBUF` 1000 becomes a 2304-byte buffer, window 1152): it takes all 1200 bytes, ACKs them with window 0 and opens the window again, and the resent tail is a duplicate. RxTcp trims to the window (RFC 9293 §3.10.7.4). Partly a consequence of the buffer approximation.",
        ["data/zero-window.marble"] =
            "Not reproducible: `SO_RCVBUF` 1000 gives Linux a 2304-byte buffer (doubled for overhead) and a 1152-byte window, so after 1000 bytes its window is still 152, never 0, and the one-byte probe is simply accepted (ack 6002). The scenario's premise, a 1000-byte buffer, has no exact Linux equivalent.",
        ["handshake/simultaneous-open.marble"] =
            "In a simultaneous open Linux's SYN-ACK repeats all of its own SYN's options (sackOK, timestamps, window scale) although the peer's SYN carried only MSS; RFC 7323 §1.3/§2.2 allow window scale in a SYN-ACK only when the SYN had it, which RxTcp follows (`<mss 1460>` only). The handshake still completes (`a`).",
        ["handshake/syn-ack-retransmit.marble"] =
            "When Linux answers a retransmitted SYN with its SYN-ACK it also restarts the SYN-ACK retransmission timer, now backed off to 2 s (`tcp_check_req` → `inet_rtx_syn_ack` + `mod_timer_pending`), so no timer-driven SYN-ACK comes at 1 s; RxTcp keeps its original 1 s timer. Both recover the handshake.",
        ["handshake/syn-timeout.marble"] =
            "Linux ≥ 6.5 retransmits a SYN with linear 1 s timeouts for the first `net.ipv4.tcp_syn_linear_timeouts` (4) tries before backing off exponentially: SYNs at 0, 1.0, 2.0, 3.1, 4.1, 5.1 s instead of 0, 1, 3 s; `connect()` still fails with ETIMEDOUT within the 7 s. RxTcp backs off from the first retry as RFC 6298 §5.5 says.",
        ["options/keepalive.marble"] =
            "Timing race plus one flag. Linux's keep-alive timer did not fire at 10.003 s (long kernel timers are coarse), so the scripted answer `K` (10.004 s) arrived first, counted as activity and restarted the 10 s idle time: Linux's probes came at ≈ 20.2 s and 21.3 s and, unanswered, ended the connection at ≈ 22.3 s with ETIMEDOUT and a RST that carries an ACK (`[R.]`, allowed) rather than RxTcp's `[R]`.",
        ["reset/abort.marble"] =
            "Linux's abort RST (`SO_LINGER` 0 + close) carries an ACK: `[R.] seq 1001 ack 5001`; RFC 9293 §3.10.5 describes `<SEQ=SND.NXT><CTL=RST>`, which RxTcp sends. Peers accept both.",
        ["retransmission/rto-retransmit.marble"] =
            "Linux's RTO is SRTT + max(RTTVAR, rto_min), so with `rto_min` 1 s its timer fires ≈ 1.01–1.03 s after sending (seen in `retry-limit` and `rto-backoff`), while RxTcp's RTO is exactly max(1 s, SRTT + 4·RTTVAR) = 1 s (RFC 6298 (2.4)). The scripted ACK at 1.006 s arrives before Linux's timer, so Linux never needs to retransmit.",
        ["retransmission/rto-backoff.marble"] =
            "Same cause as `rto-retransmit`: Linux's retransmissions come at ≈ 1.03 s and 3.05 s (1 s + SRTT, then doubled), so the third one would fall just after 7 s and the scripted ACK at 7.006 s arrives first.",
        ["retransmission/retry-limit.marble"] =
            "Linux turns `tcp_retries2` into a time budget computed as if the RTO started at 200 ms ((2^(n+1) − 1) × 200 ms = 1.4 s for 2), not a count, so with a 1 s RTO it gives up at the second expiry (≈ 3 s) after one retransmission; and it ends the connection silently (ETIMEDOUT to the application, no RST on the wire). RxTcp sends two retransmissions and then a RST; RFC 9293 §3.8.3 leaves what to do at R2 to the implementation.",
        ["retransmission/rto-after-syn-timeout.marble"] =
            "Timing race: Linux's SYN timer fires a few ms after 1 s, so the scripted SYN-ACK (1.001 s) arrives first and Linux never retransmits its SYN. Its handshake therefore gives an RTT sample of 1 s and Linux's first RTO is 3 × RTT = 3 s — the same 3 s RFC 6298 §5.7 asks for, by another route — but that timer too fires just after the scripted ACK at 4.002 s.",
        ["retransmission/fast-retransmit.marble"] =
            "Linux did not retransmit the hole on the three duplicate ACKs before the final ACK (11 ms) covered everything. This connection has no SACK and no timestamps (the peer's SYN offers only MSS); the cause on the Linux side (NewReno dupack accounting with RACK enabled, `tcp_recovery=1`) is not pinned down yet — the SACK variant (`sack/sack-recovery`) passes.",
        ["sack/tail-loss-probe.marble"] =
            "Linux sent no tail loss probe before the scripted ACK at 19 ms. Linux does implement TLP (RFC 8985; `tcp_early_retrans=3`), with a probe timeout of 2·SRTT plus a margin (2 ms, or `rto_min` = 200 ms when a single segment is outstanding) and only under its own conditions for arming it; why it did not fire within 13 ms of the last ACK here is not pinned down yet.",
        ["close/time-wait-fin-again.marble"] =
            "Linux's TIME-WAIT lasts a fixed 60 s (`TCP_TIMEWAIT_LEN`), RxTcp's 2×MSL = 240 s: by the time the retransmitted FIN comes (100 s) Linux has forgotten the connection and answers it with a RST instead of re-ACKing it.",
    };

    public static string? Explain(string scenario) => Notes.GetValueOrDefault(scenario);
}
