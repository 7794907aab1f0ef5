using Reactive.Tcp.Links;
using Reactive.Tcp.Tcp;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Simulation;

/// <summary>
/// ECN end to end: two stacks over a wire whose queue meets congestion at random (an ECN-aware
/// AQM: ECT packets are marked CE, others dropped). With ECN on, congestion costs no data
/// retransmissions; without it the same congestion drops data that must be resent.
/// </summary>
public sealed class EcnSimulationTests(ITestOutputHelper output)
{
    private const int ServerBytes = 2_000_000;
    private const int ClientBytes = 300_000;

    private sealed record Outcome(long Retransmissions, long Marked, long Dropped);

    private static Outcome Run(EcnMode mode, int seed, List<string> problems)
    {
        var congested = new Impairments { CongestionMark = 0.02, Delay = TimeSpan.FromMilliseconds(5) };
        var config = TcpConfig.Default with { Ecn = mode };
        using var sim = new Simulation($"congestion-mark ecn={mode}", seed, congested, congested, config, config);
        sim.AddFlow(80, ServerBytes, ClientBytes, TimeSpan.Zero);
        sim.Run(TimeSpan.FromHours(1));
        var found = sim.Problems();
        if (found.Count > 0) problems.Add(sim.Report(found));
        var a = sim.Wire.AToBCounters;
        var b = sim.Wire.BToACounters;
        return new Outcome(sim.Server.Counters.Retransmissions + sim.Client.Counters.Retransmissions,
            a.Marked + b.Marked, a.CongestionDropped + b.CongestionDropped);
    }

    [Fact]
    public void Ecn_turns_congestion_drops_into_marks_and_needs_almost_no_retransmissions()
    {
        var problems = new List<string>();
        long ecnRetransmissions = 0, dropRetransmissions = 0, marked = 0, ecnDropped = 0, dropDropped = 0;
        for (int seed = 1; seed <= 3; seed++)
        {
            var withEcn = Run(EcnMode.On, seed, problems);
            var withoutEcn = Run(EcnMode.Off, seed, problems);
            output.WriteLine($"seed {seed}: ecn=on  retransmissions {withEcn.Retransmissions,4}, CE marks {withEcn.Marked,4}, congestion drops {withEcn.Dropped,4} (non-ECT: SYN/ACK/FIN/resends)");
            output.WriteLine($"seed {seed}: ecn=off retransmissions {withoutEcn.Retransmissions,4}, CE marks {withoutEcn.Marked,4}, congestion drops {withoutEcn.Dropped,4}");
            ecnRetransmissions += withEcn.Retransmissions;
            dropRetransmissions += withoutEcn.Retransmissions;
            marked += withEcn.Marked;
            ecnDropped += withEcn.Dropped;
            dropDropped += withoutEcn.Dropped;
            Assert.Equal(0, withoutEcn.Marked); // nothing is ECN-capable without ECN
        }
        output.WriteLine($"total: ecn=on {ecnRetransmissions} retransmissions ({marked} CE marks, {ecnDropped} drops of non-ECT packets); ecn=off {dropRetransmissions} retransmissions ({dropDropped} drops)");

        Assert.True(problems.Count == 0, string.Join("\n\n", problems)); // every byte arrived, both sides closed
        Assert.True(marked > 50, $"only {marked} CE marks");
        Assert.True(dropRetransmissions > 100, $"only {dropRetransmissions} retransmissions without ECN");
        // With ECN only the few non-ECT packets (handshake, FIN, pure ACKs) meet drops; lost ACKs
        // are covered by later ones, so resends stay rare.
        Assert.True(ecnRetransmissions * 20 < dropRetransmissions,
            $"ECN run resent {ecnRetransmissions}, the drop run {dropRetransmissions}");
    }
}
