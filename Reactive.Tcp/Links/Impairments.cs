namespace Reactive.Tcp.Links;

/// <summary>
/// What one direction of a link does to the packets it carries, in the spirit of Linux netem.
/// Probabilities are in [0, 1]; all random decisions come from a <see cref="Random"/> seeded with
/// <see cref="Seed"/>, so the same packets through the same impairments are damaged the same way.
/// </summary>
public sealed record Impairments
{
    /// <summary>No impairment: every packet is delivered once, intact, with no delay.</summary>
    public static Impairments None { get; } = new();

    /// <summary>Probability that a packet is dropped.</summary>
    public double Loss { get; init; }

    /// <summary>Probability that a packet is delivered twice.</summary>
    public double Duplicate { get; init; }

    /// <summary>Probability that a packet is held back by <see cref="ReorderDelay"/>, letting later packets overtake it.</summary>
    public double Reorder { get; init; }

    /// <summary>
    /// How long a reordered packet is held back, on top of <see cref="Delay"/>. Defaults to 10 ms so
    /// that setting <see cref="Reorder"/> alone has a visible effect.
    /// </summary>
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Fixed one-way delay.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// Uniform random variation of <see cref="Delay"/> in [-Jitter, +Jitter] (never below zero).
    /// As with netem, jitter alone can reorder packets sent closer together than the jitter.
    /// </summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Probability that a packet is delivered as a copy with 1–3 distinct random bits flipped.</summary>
    public double Corrupt { get; init; }

    /// <summary>
    /// Probability that a packet meets congestion at an ECN-aware queue (an AQM such as RED or
    /// CoDel with ECN on): an ECN-capable packet (ECT(0) or ECT(1) in its IPv4 header) is marked
    /// CE and delivered, one already CE passes as it is, and any other packet is dropped as that
    /// queue would drop it. Decided after <see cref="Loss"/>, for each packet once.
    /// </summary>
    public double CongestionMark { get; init; }

    /// <summary>Seed of the random source that takes every decision for this direction.</summary>
    public int Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        CheckProbability(Loss, nameof(Loss));
        CheckProbability(Duplicate, nameof(Duplicate));
        CheckProbability(Reorder, nameof(Reorder));
        CheckProbability(Corrupt, nameof(Corrupt));
        CheckProbability(CongestionMark, nameof(CongestionMark));
        CheckDuration(ReorderDelay, nameof(ReorderDelay));
        CheckDuration(Delay, nameof(Delay));
        CheckDuration(Jitter, nameof(Jitter));
    }

    private static void CheckProbability(double p, string name)
    {
        // NaN fails both comparisons, so it is rejected too.
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(name, p, "A probability must be between 0 and 1.");
        }
    }

    private static void CheckDuration(TimeSpan t, string name)
    {
        if (t < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, t, "A duration cannot be negative.");
        }
    }
}
