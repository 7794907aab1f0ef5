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
        ["listen/syn-cookie-when-backlog-full.marble"] =
            "The runner reproduces backlog 0 with `tcp_syncookies=2` (a cookie for every SYN); the kernel's cookie is lined up with RxTcp's (relative numbering), and the cookie SYN-ACK, the ACK that returns it and the connection it creates all match. What differs is the MSS the cookie keeps: Linux's cookie MSS table (`msstab` in `net/ipv4/syncookies.c`: 536, 1300, 1440, 1460) has 1300 itself, so the 2500 bytes go out as 1300 + 1200 (seen), where RxTcp's table gives 1220 + 1220 + 60. The scripted ACK (for 2440 bytes, timed for RxTcp's segments) then leaves Linux 60 bytes short, which it resends ≈ 210 ms later. Both keep an MSS no larger than the peer's 1300, as a cookie must.",
        ["listen/syn-queue-full-without-cookies.marble"] =
            "Not reproducible with `listen(0)`: Linux counts its SYN queue full only when it holds more than the backlog (`inet_csk_reqsk_queue_is_full`: length > `sk_max_ack_backlog`), so with cookies off (`tcp_syncookies=0`) the first SYN still gets a SYN-ACK and a request socket, and the retransmitted SYN gets the SYN-ACK again (seen: `[S.] seq 1000 ack 5001` at 1 ms and 3 ms). RxTcp's backlog 0 admits nothing and drops both (SynQueueFull). Linux does drop SYNs (`LINUX_MIB_LISTENDROPS`) once the queue is over its limit.",
        ["ecn/no-ect-on-retransmission.marble"] =
            "Same timing as `retransmission/rto-retransmit`: Linux's RTO is SRTT + max(RTTVAR, rto_min), so its retransmission timer fires a few ms after 1 s and the scripted ACK at 1.006 s arrives first; Linux never retransmits, so whether its retransmission is Not-ECT is not seen here. Its first transmission matches (`d`, ECT(0)), as does its ECN-setup SYN-ACK.",
        ["ecn/passive-accept.marble"] =
            "The ECN part matches (ECN-setup SYN-ACK, data ECT(0), pure ACK Not-ECT); the difference is the ACK's timing, as in `data/delayed-ack`: Linux starts a connection in quick-ACK mode and ACKs the peer's \"hi\" at once instead of after RxTcp's 40 ms delayed ACK. Both are allowed (RFC 9293 §3.8.6.3).",
        ["ecn/syn-retransmit-fallback.marble"] =
            "Timing race, as in `retransmission/rto-after-syn-timeout`: Linux's SYN timer fires a few ms after 1 s, so the scripted SYN-ACK at 1.001 s arrives before its retransmitted SYN and the connection completes on the first, ECN-setup SYN (`[SEW]` matched, then `a`). Whether Linux's retransmitted SYN drops ECE/CWR (its `tcp_ecn_fallback`) is therefore not seen.",
        ["ecn/ece-reduces-once.marble"] =
            "Linux reduces its window on ECE gradually, not at once: it enters the CWR state and uses Proportional Rate Reduction (RFC 6937, `tcp_cwnd_reduction`), sending about ssthresh/prior-cwnd of what each ACK delivers. Seen: after the first ECE ACK (2 segments delivered) Linux sent 2 new segments at once, the first with CWR (`c` seq 2001, then 2101, at 7.0 ms), where RxTcp (cwnd cut to 0.7 × 10 at once, 8 in flight) sends none; after the second ECE ACK it sent 3 more, not RxTcp's 7. The scripted final ACK (2701, timed for RxTcp) then acknowledges 200 bytes Linux had not sent, which it answers with a pure ACK (`1`); its RTO resend of 2001 at 215 ms goes out Not-ECT, as RFC 3168 §6.1.5 asks. Linux also sets PSH on every fifth segment here (forced push at half the peer's window). Both reductions are RFC 3168 §6.1.2 reductions, once per window; the scenario pins RxTcp's immediate one.",
        ["close/time-wait-expiry.marble"] =
            "Not a behaviour difference: every kernel segment matched (`s`, `f`, `k` at their frames, seen), but the runner was 2.1 ms late with one of its scripted events on the busy machine, which marks a run as diverging, and a 240 s run is not replayed. It passed in the previous table. (Linux's TIME-WAIT is a fixed 60 s, but nothing on the wire shows when it ends.)",
    };

    public static string? Explain(string scenario) => Notes.GetValueOrDefault(scenario);
}
