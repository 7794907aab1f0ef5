namespace Reactive.Tcp.Tcp;

/// <summary>
/// The retransmission timer's estimator of RFC 6298: SRTT and RTTVAR from samples (taken only on
/// segments never retransmitted, Karn's rule, enforced by the caller), RTO clamped to bounds, and
/// exponential backoff on expiry. All times in <see cref="TimeSpan"/> ticks.
/// </summary>
/// <remarks>A struct that <see cref="Tcb"/> holds inline and hands out by reference (one object fewer per connection).</remarks>
internal struct RttEstimator
{
    private const long ClockGranularity = TimeSpan.TicksPerMillisecond;
    private readonly TcpConfig _config;
    private long _baseRto;

    public RttEstimator(TcpConfig config)
    {
        _config = config;
        _baseRto = (config.FixedRto ?? config.InitialRto).Ticks;
    }

    /// <summary>Smoothed round-trip time; 0 before the first sample.</summary>
    public long Srtt { get; private set; }

    /// <summary>Round-trip time variation.</summary>
    public long RttVar { get; private set; }

    /// <summary>Number of consecutive expiries since the last new acknowledgment.</summary>
    public int Backoff { get; private set; }

    /// <summary>The current timeout including backoff.</summary>
    public long Rto
    {
        get
        {
            if (_config.FixedRto is { } fixedRto) return fixedRto.Ticks;
            long rto = _baseRto;
            for (int i = 0; i < Backoff && rto < _config.MaxRto.Ticks; i++) rto *= 2;
            return Math.Min(rto, _config.MaxRto.Ticks);
        }
    }

    /// <summary>Feeds one measured round trip.</summary>
    public void Sample(long rtt)
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
        _baseRto = Math.Clamp(rto, _config.MinRto.Ticks, _config.MaxRto.Ticks);
    }

    /// <summary>
    /// The handshake needed a retransmission, so Karn's rule left no RTT sample: RFC 6298 §5.7
    /// says an RTO below 3 s MUST be re-initialized to 3 s when data transmission begins.
    /// </summary>
    public void AfterSynRetransmission()
    {
        long floor = Math.Min(3 * TimeSpan.TicksPerSecond, _config.MaxRto.Ticks);
        if (Srtt == 0 && _baseRto < floor) _baseRto = floor;
    }

    /// <summary>Doubles the timeout after an expiry (RFC 6298 §5.5).</summary>
    public void OnTimeout() => Backoff++;

    /// <summary>Clears backoff once new data is acknowledged.</summary>
    public void ResetBackoff() => Backoff = 0;
}
