using System.Text.RegularExpressions;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>
/// Why Linux reacts differently from RxTcp to a probe of the flag matrix, written by hand after
/// reading what the kernel did and the RFCs. A note covers exactly the cells its rule selects
/// (state, flags, and the shape of both reactions), so a new kind of divergence finds no note and
/// the generator fails until someone looks at it.
/// </summary>
internal static partial class FlagMatrixNotes
{
    /// <summary>One explanation and the cells it covers.</summary>
    internal sealed record Note(string Id, string Text, Func<FlagMatrixCell, bool> Covers);

    public static IReadOnlyList<Note> All { get; } =
    [
        new("a",
            "Linux drops a SYN that also carries FIN on a listening socket (`tcp_rcv_state_process`: LISTEN, SYN with FIN → "
            + "discard), a combination no real peer sends and port scanners do. RFC 9293 §3.10.7.2 (third step) processes the "
            + "SYN and queues the other controls until the connection is ESTABLISHED, which RxTcp does: it answers with its "
            + "SYN-ACK (acknowledging the SYN only) and enters SYN-RECEIVED.",
            c => c.State == "LISTEN" && c.Has(TcpFlags.Syn | TcpFlags.Fin) && !c.HasAny(TcpFlags.Ack | TcpFlags.Rst)
                 && c.Linux!.Replies.Count == 0 && c.Linux.State == "LISTEN"
                 && c.RxTcp.Replies is [var synAck] && synAck.StartsWith("[S.]", StringComparison.Ordinal) && c.RxTcp.State == "SYN-RECEIVED"),
        new("b",
            "Simultaneous open, as in `handshake/simultaneous-open.marble`: Linux's SYN-ACK repeats every option of its own SYN "
            + "(sackOK, timestamps, window scale) although the peer's SYN offered only MSS; RxTcp's carries only MSS, as the "
            + "peer's SYN did (RFC 7323 §1.3: the Window Scale option is sent in a <SYN,ACK> only if the <SYN> had it; RxTcp "
            + "treats timestamps and SACK-permitted alike). Sequence numbers, flags and the resulting SYN-RECEIVED agree.",
            c => c.State == "SYN-SENT" && c.Has(TcpFlags.Syn) && !c.HasAny(TcpFlags.Ack | TcpFlags.Rst)
                 && c.RxTcp.State == c.Linux!.State && WithoutOptions(c.RxTcp) == WithoutOptions(c.Linux)),
        new("c",
            "An in-window SYN in SYN-RECEIVED of a passive open: RFC 9293 §3.10.7.4 (fourth step) and RFC 1122 §4.2.2.20 (e) "
            + "return the connection to LISTEN, which RxTcp does without a reply (SYN-RECEIVED is not a synchronised state, so "
            + "RFC 5961's challenge ACK does not apply). Linux also drops the request but answers with a RST first "
            + "(`tcp_check_req` → embryonic reset, RFC 793's \"if the SYN is in the window it is an error, send a reset\"): "
            + "`[R.] seq 0 ack SEG.SEQ+SEG.LEN` without ACK, `[R] seq SEG.ACK` with it. Both end in LISTEN.",
            c => c.State == "SYN-RECEIVED" && c.Has(TcpFlags.Syn) && !c.HasAny(TcpFlags.Rst)
                 && c.RxTcp.Replies.Count == 0 && c.RxTcp.State == "LISTEN" && c.Linux!.State == "LISTEN"
                 && c.Linux.Replies is [var rst] && rst.StartsWith("[R", StringComparison.Ordinal)),
        new("d",
            "A second FIN after the peer's first one: the probe is at RCV.NXT, one past the first FIN, where the peer's "
            + "sequence space has ended. Linux ignores anything at or beyond RCV.NXT once the peer's FIN is in "
            + "(`tcp_rcv_state_process`, CLOSE-WAIT/CLOSING/LAST-ACK), apart from the ACK it carries; RxTcp answers with an "
            + "ACK of RCV.NXT, unchanged. RFC 9293 §3.10.7.4 ignores segment text in these states (seventh step) and, read "
            + "literally, would advance RCV.NXT over this FIN too and acknowledge it (eighth step); neither stack does, since "
            + "a FIN can come only once. The states agree (CLOSE-WAIT stays; CLOSING goes to TIME-WAIT on the ACK of our FIN).",
            c => c.State is "CLOSE-WAIT" or "CLOSING" && c.Has(TcpFlags.Fin | TcpFlags.Ack) && !c.HasAny(TcpFlags.Syn | TcpFlags.Rst)
                 && c.RxTcp.Replies is [var ack] && ack.StartsWith("[.]", StringComparison.Ordinal)
                 && c.Linux!.Replies.Count == 0 && c.RxTcp.State == c.Linux.State),
        new("e",
            "A FIN without ACK in TIME-WAIT: RFC 9293 §3.10.7.4 drops a segment without ACK at the fifth step, before the FIN "
            + "is looked at, and RxTcp does. Linux's TIME-WAIT mini-socket (`tcp_timewait_state_process`) does not check the "
            + "ACK bit: it answers every in-window segment that is neither a RST nor a bare ACK with an ACK (rate-limited) "
            + "and stays in TIME-WAIT.",
            c => c.State == "TIME-WAIT" && c.Has(TcpFlags.Fin) && !c.HasAny(TcpFlags.Syn | TcpFlags.Rst | TcpFlags.Ack)
                 && c.RxTcp.Replies.Count == 0 && c.Linux!.Replies is [var ack] && ack.StartsWith("[.]", StringComparison.Ordinal)
                 && c.RxTcp.State == c.Linux.State),
    ];

    /// <summary>The note that explains a divergent cell, or null.</summary>
    public static Note? Explain(FlagMatrixCell cell) => cell.Linux is null ? null : All.FirstOrDefault(n => n.Covers(cell));

    private static bool Has(this FlagMatrixCell c, TcpFlags all) => (c.Flags & all) == all;

    private static bool HasAny(this FlagMatrixCell c, TcpFlags any) => (c.Flags & any) != 0;

    private static string WithoutOptions(FlagReaction r) => Options().Replace(r.RepliesText, "");

    [GeneratedRegex(@" <[^>]*>")]
    private static partial Regex Options();
}
