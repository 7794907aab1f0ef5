using Reactive.Tcp.Links;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Simulation;

/// <summary>
/// Test layer 3: two stacks over the impaired virtual wire in virtual time, many seeds per
/// impairment profile. A failure names the profile and seed and shows the last packets; rerun one
/// seed with <see cref="RunOne"/> (and a longer trace) to debug it, or set RXTCP_SIM_SEEDS to a few
/// thousand for an exploratory run.
/// </summary>
public sealed class SimulationTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromHours(1);

    /// <summary>
    /// Linux's tcp_retries2 of 15 instead of the default 8 (and 10 SYN retries instead of 5), for
    /// profiles where a quarter or more of all round trips fail (loss and corruption both ways).
    /// There nine failures in a row, the default's limit, end a live connection with "timed out" in
    /// about one run in a thousand (one in two hundred at 20 % loss), and six lost SYNs in a row
    /// happen about as often: right for TCP, but not what these runs look for. The seeds that did
    /// so were checked by hand. Lighter profiles keep the defaults.
    /// </summary>
    private static TcpConfig Patient(TcpConfig c) => c with { MaxRetransmissions = 15, MaxSynRetransmissions = 10 };

    private static Impairments Ms(Impairments i, int delay, int jitter) =>
        i with { Delay = TimeSpan.FromMilliseconds(delay), Jitter = TimeSpan.FromMilliseconds(jitter) };

    /// <summary>Impairment profiles (applied both ways unless the name says otherwise), with the TCP tuning they run under.</summary>
    private static readonly Dictionary<string, Profile> Profiles = new()
    {
        ["clean"] = new(Impairments.None, Impairments.None, c => c),
        ["delay-jitter"] = new(Ms(new(), 20, 15), Ms(new(), 20, 15), c => c),
        ["loss-5"] = new(Ms(new() { Loss = 0.05 }, 5, 0), Ms(new() { Loss = 0.05 }, 5, 0), c => c),
        ["loss-20"] = new(Ms(new() { Loss = 0.20 }, 5, 2), Ms(new() { Loss = 0.20 }, 5, 2), Patient),
        ["loss-20-one-way"] = new(Ms(new() { Loss = 0.20 }, 10, 0), Ms(new(), 10, 0), c => c),
        ["duplicate-20"] = new(Ms(new() { Duplicate = 0.20 }, 5, 1), Ms(new() { Duplicate = 0.20 }, 5, 1), c => c),
        ["reorder-25"] = new(Ms(new() { Reorder = 0.25, ReorderDelay = TimeSpan.FromMilliseconds(15) }, 5, 0), Ms(new() { Reorder = 0.25 }, 5, 0), c => c),
        ["corrupt-10"] = new(Ms(new() { Corrupt = 0.10 }, 2, 1), Ms(new() { Corrupt = 0.10 }, 2, 1), c => c),
        ["mixed"] = new(Ms(new() { Loss = 0.08, Duplicate = 0.05, Reorder = 0.10, Corrupt = 0.05 }, 10, 8), Ms(new() { Loss = 0.08, Duplicate = 0.05, Reorder = 0.10, Corrupt = 0.05 }, 10, 8), Patient),
        ["harsh"] = new(Ms(new() { Loss = 0.20, Duplicate = 0.10, Reorder = 0.20, Corrupt = 0.10 }, 30, 25), Ms(new() { Loss = 0.20, Duplicate = 0.10, Reorder = 0.20, Corrupt = 0.10 }, 30, 25),
            Patient),
        ["small-buffers-loss-10"] = new(Ms(new() { Loss = 0.10, Reorder = 0.05 }, 5, 3), Ms(new() { Loss = 0.10, Reorder = 0.05 }, 5, 3),
            c => Patient(c) with { ReceiveBufferSize = 3000, SendBufferSize = 2000 }),
        ["small-mss-mixed"] = new(Ms(new() { Loss = 0.10, Duplicate = 0.05, Reorder = 0.10, Corrupt = 0.03 }, 5, 4), Ms(new() { Loss = 0.10, Duplicate = 0.05, Reorder = 0.10, Corrupt = 0.03 }, 5, 4),
            c => Patient(c) with { MssOverride = 97 }),
        // Readers start up to 3 s late, so windows close and the persist timer has to reopen them.
        ["late-readers-loss-10"] = new(Ms(new() { Loss = 0.10, Duplicate = 0.02 }, 5, 3), Ms(new() { Loss = 0.10, Duplicate = 0.02 }, 5, 3),
            c => Patient(c) with { ReceiveBufferSize = 16 * 1024 }, TimeSpan.FromSeconds(3)),
        ["late-readers-minimart-reorder"] = new(Ms(new() { Reorder = 0.1, Loss = 0.03 }, 5, 3), Ms(new() { Reorder = 0.1, Loss = 0.03 }, 5, 3),
            _ => TcpConfig.Minimart, TimeSpan.FromSeconds(5)),
    };

    // RXTCP_SIM_SEEDS raises the count for a long exploratory run; the default keeps the suite fast.
    private static readonly int SeedsPerProfile =
        int.TryParse(Environment.GetEnvironmentVariable("RXTCP_SIM_SEEDS"), out var n) && n > 0 ? n : 100;

    public static TheoryData<string> ProfileNames => new(Profiles.Keys);

    [Theory]
    [MemberData(nameof(ProfileNames))]
    public void Transfers_arrive_intact_and_both_sides_close(string profile)
    {
        var failures = new List<string>();
        for (int seed = 1; seed <= SeedsPerProfile; seed++)
        {
            var report = RunOne(profile, seed);
            if (report is not null) failures.Add(report);
        }
        Assert.True(failures.Count == 0, Summarise(profile, failures));
    }

    /// <summary>
    /// Seeds beyond the default range that once failed in long exploratory runs
    /// (<c>RXTCP_SIM_SEEDS=6000</c>), kept because the default range does not reach their bug.
    /// </summary>
    [Theory]
    [InlineData("late-readers-loss-10", 668)] // zero window after our FIN was queued: timed out instead of probing
    [InlineData("late-readers-loss-10", 1525)]
    [InlineData("late-readers-loss-10", 1895)]
    [InlineData("late-readers-loss-10", 2098)] // fast retransmit sent never-sent bytes past the window: ACK war
    [InlineData("late-readers-minimart-reorder", 3094)] // the same through minimart's timeout path
    [InlineData("small-mss-mixed", 198)] // a corrupted fragment for another address: NotForUs, not reassembly (the tap's rule)
    [InlineData("corrupt-10", 1844)] // the same, at the server
    [InlineData("harsh", 1631)] // the same
    public void Seeds_that_once_failed_still_pass(string profile, int seed)
    {
        var report = RunOne(profile, seed);
        Assert.True(report is null, report);
    }

    [Fact]
    public void Minimart_preset_survives_loss_duplication_and_reordering()
    {
        var imp = Ms(new() { Loss = 0.10, Duplicate = 0.05, Reorder = 0.10 }, 20, 10);
        var failures = new List<string>();
        for (int seed = 1; seed <= 30; seed++)
        {
            using var sim = new Simulation("minimart", seed, imp, imp, TcpConfig.Minimart, TcpConfig.Minimart);
            var rng = new Random(seed);
            // Sizes up to a few times minimart's 64 KiB window, not multiples of its 536-byte MSS.
            sim.AddFlow(80, rng.Next(0, 200_000), rng.Next(0, 200_000), TimeSpan.Zero);
            sim.Run(Limit);
            var problems = sim.Problems();
            if (problems.Count > 0) failures.Add(sim.Report(problems));
        }
        Assert.True(failures.Count == 0, Summarise("minimart", failures));
    }

    [Fact]
    public void Minimart_and_default_configs_interoperate_under_loss()
    {
        // Each side offers what its config has (MSS 536 or 1460, window scaling or not, fixed RTO or
        // estimated); the two must agree on the smaller MSS and on no scaling.
        var imp = Ms(new() { Loss = 0.08, Reorder = 0.05, Duplicate = 0.02 }, 10, 5);
        var failures = new List<string>();
        for (int seed = 1; seed <= 30; seed++)
        {
            var (server, client) = seed % 2 == 0 ? (TcpConfig.Minimart, TcpConfig.Default) : (TcpConfig.Default, TcpConfig.Minimart);
            using var sim = new Simulation(seed % 2 == 0 ? "minimart server, default client" : "default server, minimart client", seed, imp, imp, server, client);
            var rng = new Random(seed);
            sim.AddFlow(80, Simulation.DrawSize(rng), Simulation.DrawSize(rng), TimeSpan.Zero);
            sim.Run(Limit);
            var problems = sim.Problems();
            if (problems.Count > 0) failures.Add(sim.Report(problems));
        }
        Assert.True(failures.Count == 0, Summarise("minimart/default", failures));
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.10)]
    [InlineData(0.20)]
    public void Fifty_concurrent_connections_under_loss(double loss)
    {
        var imp = Ms(new() { Loss = loss, Reorder = 0.05 }, 10, 5);
        // Fifty connections multiply the chance that one meets nine failed round trips in a row.
        var config = Patient(TcpConfig.Default);
        var failures = new List<string>();
        for (int seed = 1; seed <= 4; seed++)
        {
            using var sim = new Simulation($"50 connections, loss {loss:P0}", seed, imp, imp, config, config);
            var rng = new Random(seed);
            for (int i = 0; i < 50; i++)
                sim.AddFlow((ushort)(1000 + i), Simulation.DrawSize(rng) / 4, Simulation.DrawSize(rng) / 4, TimeSpan.FromMilliseconds(rng.Next(0, 200)));
            sim.Run(Limit);
            var problems = sim.Problems();
            if (problems.Count > 0) failures.Add(sim.Report(problems));
        }
        Assert.True(failures.Count == 0, Summarise($"50 connections, loss {loss:P0}", failures));
    }

    [Fact]
    public void Corruption_is_caught_by_the_checksums_and_counted()
    {
        // Heavy corruption, no loss: every damaged packet must be dropped at parsing, by reason.
        var imp = new Impairments { Corrupt = 0.30 };
        using var sim = new Simulation("corrupt-30", 12345, imp, imp, TcpConfig.Default, TcpConfig.Default);
        sim.AddFlow(80, 200_000, 150_000, TimeSpan.Zero);
        sim.Run(Limit);
        var problems = sim.Problems();
        Assert.True(problems.Count == 0, sim.Report(problems));

        var caught = new[] { sim.Server, sim.Client }.Sum(s => s.Drops[DropReason.BadTcpChecksum] + s.Drops[DropReason.BadIpChecksum]);
        Assert.True(caught > 50, $"only {caught} checksum drops\n{sim.Report(problems)}");
        Assert.True(sim.Wire.AToBCounters.Corrupted > 0 && sim.Wire.BToACounters.Corrupted > 0);
    }

    [Fact]
    public void A_seed_replays_exactly()
    {
        string Fingerprint()
        {
            var (aToB, bToA, tune, _) = Profiles["harsh"];
            using var sim = new Simulation("harsh", 99, aToB, bToA, tune(TcpConfig.Default), tune(TcpConfig.Default));
            sim.AddFlow(80, 120_001, 70_003, TimeSpan.Zero);
            sim.Run(Limit);
            return $"{sim.Scheduler.Clock} {sim.Server.Counters} {sim.Client.Counters} {sim.Wire.AToBCounters} {sim.Wire.BToACounters}\n{sim.Trace.Format()}";
        }

        Assert.Equal(Fingerprint(), Fingerprint());
    }

    /// <summary>Runs one seed of a profile; null when it passed, else the full report.</summary>
    internal static string? RunOne(string profile, int seed, int traceLength = 40)
    {
        var (aToB, bToA, tune, readerDelay) = Profiles[profile];
        using var sim = new Simulation(profile, seed, aToB, bToA, tune(TcpConfig.Default), tune(TcpConfig.Default), traceLength: traceLength)
        {
            MaxReaderDelay = readerDelay,
        };
        var rng = new Random(unchecked(seed * 31 + profile.Length));
        sim.AddFlow(80, Simulation.DrawSize(rng), Simulation.DrawSize(rng), TimeSpan.Zero);
        sim.Run(Limit);
        var problems = sim.Problems();
        return problems.Count == 0 ? null : sim.Report(problems);
    }

    /// <summary>An impairment profile: what each direction does, the TCP tuning, and how late readers start.</summary>
    private sealed record Profile(Impairments AToB, Impairments BToA, Func<TcpConfig, TcpConfig> Tune, TimeSpan ReaderDelay = default);

    private static string Summarise(string profile, List<string> failures) =>
        $"{failures.Count} of the seeds failed for profile '{profile}'. First failure:\n{failures.FirstOrDefault()}\n"
        + $"All failing: {string.Join(", ", failures.Select(f => f[..f.IndexOf(':')]))}";
}
