namespace RxTcp.Cli;

/// <summary>Which clock drives the demo's scheduler.</summary>
public enum DemoClock
{
    /// <summary>Wall-clock time: everything runs on one <c>EventLoopScheduler</c> thread.</summary>
    Real,

    /// <summary>Simulated time: a <c>HistoricalScheduler</c> advanced by the main thread; deterministic.</summary>
    Virtual,
}

/// <summary>What <c>rxtcp demo</c> was asked to do (already validated).</summary>
public sealed record DemoSettings
{
    /// <summary>Bytes sent in each direction.</summary>
    public long Bytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Packet loss on each direction of the wire, in percent.</summary>
    public double LossPercent { get; init; }

    /// <summary>
    /// Share of packets, in percent, that meet congestion at an ECN-aware queue on each direction of
    /// the wire: an ECN-capable packet is marked CE, any other is dropped.
    /// </summary>
    public double CongestionPercent { get; init; }

    /// <summary>Both stacks ask for ECN (RFC 3168) on connect (otherwise they only accept it, which here means never).</summary>
    public bool Ecn { get; init; }

    /// <summary>Seed of the payload bytes, the wire's impairments and the stacks' port choice.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>MTU of the virtual wire (the MSS is MTU − 40).</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>One-way delay of each direction of the wire.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Real or virtual clock.</summary>
    public DemoClock Clock { get; init; } = DemoClock.Real;

    /// <summary>Suppress the progress bar.</summary>
    public bool Quiet { get; init; }

    /// <summary>Wall-clock limit; <see langword="null"/> picks one from the size, loss and delay.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Maximum segment lifetime used by both stacks. The demo shortens it (TIME-WAIT = 2 × MSL) so
    /// that the side that closes first reaches CLOSED promptly.
    /// </summary>
    public TimeSpan Msl { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The wall-clock limit actually applied.</summary>
    public TimeSpan EffectiveTimeout
    {
        get
        {
            if (Timeout is { } explicitLimit) return explicitLimit;
            // Budget 1 MiB/s per direction at 0 % loss (the stack does far better), slowed down
            // in proportion to the loss rate, plus a minute for setup, RTO backoff and TIME-WAIT.
            double mib = Bytes / (1024.0 * 1024.0);
            double seconds = 60 + mib * (1 + LossPercent + CongestionPercent) + mib * Delay.TotalMilliseconds / 10;
            return TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds));
        }
    }
}
