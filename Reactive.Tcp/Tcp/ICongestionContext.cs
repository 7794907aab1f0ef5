using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// What a congestion controller (<see cref="ICongestionControl"/>) sees of its connection: the
/// congestion window and slow-start threshold it sets, and the sender's state it reads. Handed to
/// each callback and valid only during it: a controller must not keep it.
/// </summary>
/// <remarks>
/// Sizes are in bytes and times in <see cref="TimeSpan"/> ticks, the unit of the callbacks'
/// <c>now</c>. The values a controller sets are kept within what the step needs to go on sending:
/// the window at least one segment, the threshold at least two (RFC 5681 §3.1).
/// </remarks>
public interface ICongestionContext
{
    /// <summary>
    /// Congestion window (cwnd): outside loss recovery, at most this many bytes are in flight.
    /// A value set is kept within [<see cref="Mss"/>, <see cref="long.MaxValue"/> / 2].
    /// </summary>
    long Cwnd { get; set; }

    /// <summary>
    /// Slow-start threshold (ssthresh); <see cref="long.MaxValue"/> until a controller lowers it.
    /// A value set is kept at least 2 × <see cref="Mss"/>.
    /// </summary>
    long Ssthresh { get; set; }

    /// <summary>Largest payload of one segment (the sender's MSS), as the peer, our configuration and the path allow.</summary>
    int Mss { get; }

    /// <summary>Bytes sent and not yet acknowledged: SND.NXT − SND.UNA.</summary>
    int BytesInFlight { get; }

    /// <summary>Oldest unacknowledged sequence number (SND.UNA).</summary>
    SeqNum SndUna { get; }

    /// <summary>Next sequence number to send (SND.NXT); after a timeout it falls back to SND.UNA.</summary>
    SeqNum SndNxt { get; }

    /// <summary>Highest sequence number sent so far (SND.MAX): SND.MAX − SND.UNA is the flight size of RFC 5681.</summary>
    SeqNum SndMax { get; }

    /// <summary>Smoothed round-trip time (SRTT, RFC 6298) in ticks; 0 before the first sample.</summary>
    long SmoothedRtt { get; }

    /// <summary>Round-trip time variation (RTTVAR, RFC 6298) in ticks; 0 before the first sample.</summary>
    long RttVariation { get; }
}
