using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>
/// Resource limits under attack (issue 7 item 4): a spoofed SYN flood fills at most the listener's
/// SYN queue, the rest is answered with SYN cookies, legitimate clients still connect and
/// established transfers are unharmed. Memory and counts are printed; the asserts are about bounds.
/// </summary>
public class ResourceExhaustionTests(ITestOutputHelper output)
{
    /// <summary>A generous bound on a half-open block's managed memory (measured ≈ 2.7 KiB: its rings are rented only when used).</summary>
    private const long HalfOpenBytes = 16 * 1024;

    /// <summary>A generous bound on an established connection's managed memory (two 256 KiB rings and change).</summary>
    private const long ConnectionBytes = 600 * 1024;

    private static IPv4Address Spoofed(Random rng) => new(0xCB007100u | (uint)rng.Next(1, 255)); // 203.0.113.0/24

    [Fact]
    public void Spoofed_SYNs_beyond_the_backlog_cost_no_connection_block_and_established_transfers_survive()
    {
        const int Syns = 200;
        using var net = new HostileNet();
        var flow = net.Open(80, 500_000, 100_000, seed: 9);
        int backlog = net.Server.Options.Limits.ListenBacklog;
        var rng = new Random(9);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < Syns; i++)
            net.InjectSyn(Spoofed(rng), (ushort)rng.Next(1024, 65535), 80, (uint)rng.Next());
        int blocks = net.Server.ConnectionCount;
        long after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{Syns} spoofed SYNs → {net.Server.HalfOpenCount} half-open blocks (backlog {backlog}), {net.Server.Counters.SynCookiesSent} SYN cookies, {blocks} blocks in all, {(after - before) / 1024} KiB managed heap");

        Assert.Equal(backlog, net.Server.HalfOpenCount);
        Assert.Equal(Syns - backlog, net.Server.Counters.SynCookiesSent);
        Assert.Equal(backlog + 1, blocks);
        Assert.True(after - before < backlog * HalfOpenBytes, $"{after - before} bytes for {backlog} half-open blocks");

        Assert.True(net.RunUntil(() => flow.Complete, TimeSpan.FromMinutes(2)), "established transfer did not complete during the flood");
        Assert.Null(flow.Corruption());
        Assert.True(net.RunUntil(() => net.Server.ConnectionCount == 0, TimeSpan.FromMinutes(10)), $"{net.Server.ConnectionCount} blocks left after 10 min");
        Assert.Equal(0, net.Server.HalfOpenCount);
        net.AssertNoFaults();
    }

    [Fact]
    public void SYN_flood_of_100000_spoofed_SYNs_leaves_memory_bounded_and_50_legitimate_clients_all_complete()
    {
        const int Syns = 100_000, SynsPerMs = 20, Clients = 50, Bytes = 20_000;
        using var net = new HostileNet();
        net.ListenEcho(80);
        int backlog = net.Server.Options.Limits.ListenBacklog;
        var rng = new Random(4987);
        var flows = new List<HostileNet.Flow>();
        int sent = 0, peakBlocks = 0, peakHalfOpen = 0;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long start = net.Scheduler.Clock;
        int msPerClient = Syns / SynsPerMs / Clients;

        for (int ms = 0; sent < Syns; ms++)
        {
            for (int i = 0; i < SynsPerMs && sent < Syns; i++, sent++)
                net.InjectSyn(Spoofed(rng), (ushort)rng.Next(1024, 65535), 80, (uint)rng.Next());
            if (ms % msPerClient == 0 && flows.Count < Clients)
            {
                var data = new byte[Bytes];
                rng.NextBytes(data);
                flows.Add(net.ConnectEcho(80, data));
            }
            net.Run(TimeSpan.FromMilliseconds(1));
            peakBlocks = Math.Max(peakBlocks, net.Server.ConnectionCount);
            peakHalfOpen = Math.Max(peakHalfOpen, net.Server.HalfOpenCount);
        }
        double floodSeconds = (net.Scheduler.Clock - start) / (double)TimeSpan.TicksPerSecond;
        long during = GC.GetTotalMemory(forceFullCollection: true);
        bool allDone = net.RunUntil(() => flows.All(f => f.Echoed || f.Failed), TimeSpan.FromSeconds(30));
        int completed = flows.Count(f => f.Echoed && f.Corruption() is null);
        var c = net.Server.Counters;

        output.WriteLine($"{sent} spoofed SYNs from 203.0.113.0/24 in {floodSeconds:F1} s of virtual time, {Clients} legitimate echo clients ({Bytes} B each way) during it");
        output.WriteLine($"  SYN cookies sent {c.SynCookiesSent}, accepted {c.SynCookiesAccepted}, rejected {c.SynCookiesRejected}; drops: {net.Server.Drops}");
        output.WriteLine($"  connection blocks alive: peak {peakBlocks} (half-open peak {peakHalfOpen}, backlog {backlog})");
        output.WriteLine($"  managed heap growth at the end of the flood: {(during - before) / (1024 * 1024.0):F1} MiB (both stacks)");
        output.WriteLine($"  legitimate connections completed byte-exact: {completed} of {Clients}");

        Assert.True(allDone, "some legitimate clients were still running after 30 s");
        Assert.Equal(Clients, flows.Count);
        Assert.Equal(Clients, completed);
        Assert.True(peakHalfOpen <= backlog);
        Assert.True(peakBlocks <= backlog + Clients, $"peak of {peakBlocks} connection blocks");
        Assert.True(c.SynCookiesSent >= Syns - backlog - peakBlocks, "the flood did not go through SYN cookies");
        // Server: the SYN queue and the legitimate connections; client: the legitimate connections.
        // (Without the SYN queue limit, the flood alone holds 100,000 half-open blocks: see below.)
        Assert.True(during - before < backlog * HalfOpenBytes + 2L * Clients * ConnectionBytes, $"managed heap grew by {during - before} bytes");
        net.AssertNoFaults();
    }

    [Fact]
    public void The_same_SYN_flood_with_the_limits_lifted_holds_a_block_per_SYN()
    {
        // The comparison for the test above: what the limits save. Nothing here is a bound.
        const int Syns = 100_000, SynsPerMs = 20;
        var lifted = StackLimits.Default with { ListenBacklog = int.MaxValue, MaxHalfOpen = int.MaxValue, MaxConnections = int.MaxValue };
        using var net = new HostileNet(serverLimits: lifted);
        net.ListenEcho(80, backlog: int.MaxValue);
        var rng = new Random(4987);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int sent = 0; sent < Syns;)
        {
            for (int i = 0; i < SynsPerMs; i++, sent++)
                net.InjectSyn(Spoofed(rng), (ushort)rng.Next(1024, 65535), 80, (uint)rng.Next());
            net.Run(TimeSpan.FromMilliseconds(1));
        }
        int blocks = net.Server.ConnectionCount;
        long during = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"limits lifted: {Syns} spoofed SYNs → {blocks} connection blocks, {(during - before) / (1024 * 1024.0):F1} MiB managed heap ({(during - before) / Math.Max(1, blocks)} B per block), {net.Server.Counters.SynCookiesSent} SYN cookies");
        Assert.Equal(0, net.Server.Counters.SynCookiesSent);
        Assert.True(blocks > Syns * 99 / 100, $"{blocks} blocks: the lifted limits still refused SYNs");
        net.AssertNoFaults();
    }
}
