using Reactive.Tcp.Tcp;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>Every invariant of <see cref="StepDriver"/> after every step, across impairments, configurations and seeds.</summary>
public class StepInvariantTests(ITestOutputHelper output)
{
    public static TheoryData<string> Profiles => new() { "clean", "lossy", "reordering", "duplicating", "hostile-mix", "minimart" };

    private static (StepDriver.Wire Wire, TcpConfig Config) Profile(string name) => name switch
    {
        "clean" => (new(TimeSpan.FromMilliseconds(5).Ticks, 0, 0, 0), TcpConfig.Default),
        "lossy" => (new(TimeSpan.FromMilliseconds(10).Ticks, 0, 0.05, 0), TcpConfig.Default),
        "reordering" => (new(TimeSpan.FromMilliseconds(2).Ticks, TimeSpan.FromMilliseconds(8).Ticks, 0.01, 0), TcpConfig.Default),
        "duplicating" => (new(TimeSpan.FromMilliseconds(3).Ticks, TimeSpan.FromMilliseconds(1).Ticks, 0.01, 0.1), TcpConfig.Default with { ReceiveBufferSize = 16 * 1024 }),
        "hostile-mix" => (new(TimeSpan.FromMilliseconds(1).Ticks, TimeSpan.FromMilliseconds(20).Ticks, 0.1, 0.05), TcpConfig.Default with { SendBufferSize = 8 * 1024, ReceiveBufferSize = 4 * 1024 }),
        "minimart" => (new(TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(5).Ticks, 0.05, 0.02), TcpConfig.Minimart),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Invariants_hold_after_every_step(string profile)
    {
        var (wire, config) = Profile(profile);
        long segments = 0;
        for (int seed = 1; seed <= 12; seed++)
        {
            var rng = new Random(seed);
            var driver = new StepDriver(seed, wire, config, rng.Next(0, 300_000), rng.Next(0, 100_000));
            driver.Run(TimeSpan.FromHours(1));
            segments += driver.SegmentsSent;
        }
        output.WriteLine($"{profile}: {segments} segments, all invariants held");
    }

    [Fact]
    public void A_violation_fails_loudly_with_the_event_history()
    {
        // A receive buffer of 0 can never take the data: the run cannot finish, and says why.
        var driver = new StepDriver(1, new(TimeSpan.FromMilliseconds(1).Ticks, 0, 0, 0), TcpConfig.Default with { MaxRetransmissions = 0, MaxSynRetransmissions = 0 }, 10, 10);
        var loss = new StepDriver(2, new(TimeSpan.FromMilliseconds(1).Ticks, 0, 1.0, 0), TcpConfig.Default with { MaxSynRetransmissions = 1 }, 10, 10);
        var e = Assert.Throws<InvariantViolation>(() => loss.Run(TimeSpan.FromMinutes(5)));
        Assert.Contains("last events:", e.Message);
        Assert.Contains("Connect", e.Message);
        driver.Run(TimeSpan.FromMinutes(5));
    }
}
