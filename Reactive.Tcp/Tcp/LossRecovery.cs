using System.Runtime.InteropServices;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// Loss detection and recovery on the send side: duplicate ACKs and NewReno's recovery point
/// (RFC 5681, RFC 6582), the SACK scoreboard and recovery rounds (RFC 2018, RFC 6675, the
/// time-based loss edge of RFC 8985), limited transmit (RFC 3042) and the tail loss probe.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference (<c>tcb.Recovery.InRecovery = true</c>),
/// so it costs no object; never copy it into a local to change it.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct LossRecovery
{
    /// <summary>Not recovering; an empty scoreboard.</summary>
    public LossRecovery() => Scoreboard = new ReassemblyRanges(maxRanges: 32);

    /// <summary>Both sides sent SACK-permitted: ACKs carry SACK blocks and loss recovery uses them.</summary>
    public bool SackEnabled { get; set; }
    /// <summary>Ranges above SND.UNA the peer reported holding (the sender's scoreboard).</summary>
    public ReassemblyRanges Scoreboard;

    /// <summary>Duplicate ACKs in a row.</summary>
    public int DupAcks { readonly get => _dupAcks; set => _dupAcks = Narrow.ToUShort(value); }
    private ushort _dupAcks;
    /// <summary>In fast recovery until SND.UNA passes <see cref="Recover"/>.</summary>
    public bool InRecovery { get; set; }
    /// <summary>NewReno's recovery point (RFC 6582).</summary>
    public SeqNum Recover { get; set; }
    /// <summary>Extra bytes the first duplicate ACKs let out beyond the congestion window (RFC 3042).</summary>
    public long LimitedTransmit { readonly get => _limitedTransmit; set => _limitedTransmit = Narrow.ToInt(value); }
    private int _limitedTransmit;

    /// <summary>Highest sequence number retransmitted in the current recovery round.</summary>
    public SeqNum HighRxt { get; set; }
    /// <summary>An ACK arrived since the current recovery round started: the peer is still answering.</summary>
    public bool AckedThisRound { get; set; }
    /// <summary>Unacknowledged, un-SACKed data below this was sent over a round trip ago and is presumed lost.</summary>
    public SeqNum LossEdge { get; set; }
    /// <summary>SND.MAX when the current recovery round started.</summary>
    public SeqNum RoundStartSndMax { get; set; }
    /// <summary>When the current round of hole retransmissions started (a hole still open a round trip later is lost again).</summary>
    public long RoundStart { get; set; }

    /// <summary>A tail loss probe is out and unanswered: no second one until an ACK arrives.</summary>
    public bool ProbeOutstanding { get; set; }
}
