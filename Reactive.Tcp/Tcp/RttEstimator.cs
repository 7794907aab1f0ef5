using System.Runtime.InteropServices;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// The retransmission timer's estimator of RFC 6298: SRTT and RTTVAR from samples (taken only on
/// segments never retransmitted, Karn's rule, enforced by the caller), RTO clamped to bounds, and
/// exponential backoff on expiry; with the measurement in progress (which segment is timed, since
/// when). All times in <see cref="TimeSpan"/> ticks.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference (one object fewer per
/// connection). The bounds come from the connection's <see cref="TcpConfig"/>, passed in rather
/// than held, since the block holds it already.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct RttEstimator
{
    private const long ClockGranularity = TimeSpan.TicksPerMillisecond;
    private long _baseRto;

    /// <summary>No sample yet: the timeout is the initial (or fixed) one of <paramref name="config"/>.</summary>
    public RttEstimator(TcpConfig config) => _baseRto = (config.FixedRto ?? config.InitialRto).Ticks;

    /// <summary>Smoothed round-trip time; 0 before the first sample.</summary>
    public long Srtt { get; private set; }

    /// <summary>Round-trip time variation.</summary>
    public long RttVar { get; private set; }

    /// <summary>
    /// Consecutive expiries of the retransmission timer since the last new acknowledgment: the
    /// exponent of the RTO's backoff, and the retries that <see cref="TcpConfig.MaxRetransmissions"/> limits.
    /// </summary>
    public int Backoff { get; private set; }

    /// <summary>Sequence number whose acknowledgment ends the measurement in progress; null when nothing is timed.</summary>
    public SeqNum? TimedSeq { get; set; }

    /// <summary>When the timed segment was sent.</summary>
    public long TimedAt { get; set; }

    /// <summary>The current timeout including backoff, within the bounds of <paramref name="config"/>.</summary>
    public readonly long Rto(TcpConfig config)
    {
        if (config.FixedRto is { } fixedRto) return fixedRto.Ticks;
        long rto = _baseRto;
        for (int i = 0; i < Backoff && rto < config.MaxRto.Ticks; i++) rto *= 2;
        return Math.Min(rto, config.MaxRto.Ticks);
    }

    /// <summary>Feeds one measured round trip; the timeout stays within the bounds of <paramref name="config"/>.</summary>
    public void Sample(long rtt, TcpConfig config)
    {
        if (rtt < 0) return;
        // Below the clock granularity a sample says nothing more, and a zero SRTT would make every
        // timer derived from it (recovery rounds, probes) fire at once.
        rtt = Math.Max(rtt, ClockGranularity);
        if (Srtt == 0)
        {
            Srtt = Math.Max(rtt, 1);
            RttVar = rtt / 2;
        }
        else
        {
            RttVar = (3 * RttVar + Math.Abs(Srtt - rtt)) / 4;
            Srtt = Math.Max((7 * Srtt + rtt) / 8, 1);
        }
        long rto = Srtt + Math.Max(ClockGranularity, 4 * RttVar);
        _baseRto = Math.Clamp(rto, config.MinRto.Ticks, config.MaxRto.Ticks);
    }

    /// <summary>
    /// The handshake needed a retransmission, so Karn's rule left no RTT sample: RFC 6298 §5.7
    /// says an RTO below 3 s MUST be re-initialized to 3 s when data transmission begins.
    /// </summary>
    public void AfterSynRetransmission(TcpConfig config)
    {
        long floor = Math.Min(3 * TimeSpan.TicksPerSecond, config.MaxRto.Ticks);
        if (Srtt == 0 && _baseRto < floor) _baseRto = floor;
    }

    /// <summary>Doubles the timeout after an expiry (RFC 6298 §5.5).</summary>
    public void OnTimeout() => Backoff++;

    /// <summary>Clears backoff once new data is acknowledged.</summary>
    public void ResetBackoff() => Backoff = 0;
}
