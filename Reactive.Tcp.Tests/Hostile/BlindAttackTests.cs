using System.Diagnostics;
using System.Reflection;
using Reactive.Tcp.Api;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>
/// RFC 5961 blind attacks in the simulator: an off-path attacker who knows the 4-tuple but not the
/// sequence numbers floods an established connection, mid-transfer, with forged RSTs, SYNs and data
/// segments at random sequence (and acknowledgment) numbers. Measured: forged packets accepted
/// (a reset, or delivered bytes the real peer never sent), challenge ACKs sent and their rate,
/// which the stack-wide limit (RFC 5961 §7, <see cref="StackLimits.ChallengeAcksPerSecond"/>) bounds.
/// </summary>
public class BlindAttackTests(ITestOutputHelper output)
{
    private const int Forged = 1_000_000;
    private const int PerMillisecond = 2000;

    internal static Tcb TcbOf(TcpConnection c) =>
        ((ConnectionState)c.Seam).Tcb!;

    internal sealed class Tally
    {
        public long Sent, InWindow, Exact, Answered;
        public override string ToString() => $"{Sent} forged, {InWindow} in window, {Exact} exact, {Answered} answered";
    }

    [Fact]
    public void Off_path_forgeries_at_random_sequence_numbers_neither_reset_nor_inject_and_the_transfer_completes_byte_exact()
    {
        var delay = new Reactive.Tcp.Links.Impairments { Delay = TimeSpan.FromMilliseconds(20) };
        using var net = new HostileNet(new Reactive.Tcp.Links.VirtualWireOptions { AToB = delay, BToA = delay });
        var flow = net.Open(443, 4_000_000, 1_000_000, seed: 5);
        net.Run(TimeSpan.FromMilliseconds(100));
        Assert.NotNull(flow.ServerSide);
        var key = flow.Key;
        var tcb = TcbOf(flow.ServerSide!);
        var rng = new Random(5961);
        var tallies = new Dictionary<string, Tally> { ["RST"] = new(), ["SYN"] = new(), ["data+ACK"] = new(), ["data"] = new() };
        var kinds = tallies.Keys.ToArray();
        var payload = new byte[100];
        var stopwatch = Stopwatch.StartNew();
        long startTicks = net.Scheduler.Clock;
        long forged = 0;
        bool transferRunningThroughout = true;

        while (forged < Forged)
        {
            for (int i = 0; i < PerMillisecond; i++, forged++)
            {
                var kind = kinds[rng.Next(kinds.Length)];
                var t = tallies[kind];
                var segment = new TcpSegment
                {
                    SourcePort = key.RemotePort,
                    DestinationPort = key.LocalPort,
                    Seq = new SeqNum((uint)rng.NextInt64(1L << 32)),
                    Ack = new SeqNum((uint)rng.NextInt64(1L << 32)),
                    Window = 65535,
                    Flags = kind switch { "RST" => TcpFlags.Rst, "SYN" => TcpFlags.Syn, "data+ACK" => TcpFlags.Ack | TcpFlags.Psh, _ => TcpFlags.Psh },
                };
                if (kind.StartsWith("data"))
                {
                    rng.NextBytes(payload);
                    segment.Payload = payload;
                }
                long window = Math.Max(1, tcb.ReceiveBuffer.Capacity - tcb.ReceiveBuffer.Count);
                long offset = segment.Seq - tcb.RcvNxt;
                if (offset >= 0 && offset < window) t.InWindow++;
                if (segment.Seq == tcb.RcvNxt) t.Exact++;
                long before = net.ServerLink.Sent;
                net.ServerLink.Inject(PacketBuilder.BuildTcp(HostileNet.ClientAddress, HostileNet.ServerAddress, segment));
                t.Answered += net.ServerLink.Sent - before;
                t.Sent++;
            }
            net.Run(TimeSpan.FromMilliseconds(1));
            if (flow.Complete || flow.Failed) transferRunningThroughout = false;
        }
        double attackSeconds = (net.Scheduler.Clock - startTicks) / (double)TimeSpan.TicksPerSecond;
        net.RunUntil(() => flow.Complete || flow.Failed, TimeSpan.FromMinutes(5));

        long answered = tallies.Values.Sum(t => t.Answered);
        output.WriteLine($"{forged} forged packets in {attackSeconds:F3} s of virtual time ({stopwatch.Elapsed.TotalSeconds:F1} s wall); transfer still running when the attack ended: {transferRunningThroughout}");
        foreach (var (kind, t) in tallies) output.WriteLine($"  {kind,-9} {t}");
        long challenges = tallies["RST"].Answered + tallies["SYN"].Answered;
        int limit = net.Server.Options.Limits.ChallengeAcksPerSecond;
        // Budget windows start at the first challenge and last a second each: an attack of this
        // length touches at most ceil(seconds) + 1 of them.
        long budget = limit * ((long)Math.Ceiling(attackSeconds) + 1);
        output.WriteLine($"  answers: {answered} in total, {answered / attackSeconds:F0} per second of attack");
        output.WriteLine($"  challenge ACKs (RST, SYN): {challenges} sent, {net.Server.Counters.ChallengeAcksSuppressed} suppressed by the stack-wide limit of {limit}/s (bound for this attack: {budget})");
        output.WriteLine($"  out-of-window data answered 1:1 (as Linux does; no amplification): {tallies["data+ACK"].Answered + tallies["data"].Answered}");
        output.WriteLine($"  server drops: {net.Server.Drops}");
        output.WriteLine($"  flow: complete {flow.Complete}, server error {flow.ServerError?.Message}, client error {flow.ClientError?.Message}");

        Assert.True(transferRunningThroughout, "the transfer ended before the attack did; the run measured an idle connection");
        net.AssertNoFaults();
        Assert.Null(flow.Corruption());
        Assert.True(flow.Complete, $"transfer did not complete: server {flow.ServerError?.Message}, client {flow.ClientError?.Message}");
        // RFC 5961 §3.2/§4.2: an in-window RST or any SYN earns a challenge ACK, nothing more.
        Assert.True(tallies["RST"].Answered <= tallies["RST"].InWindow, "out-of-window RSTs were answered");
        // RFC 5961 §7: challenge ACKs are rate-limited stack-wide; the first SYNs still earn one.
        Assert.True(tallies["SYN"].Answered > 0, "SYNs in ESTABLISHED earned no challenge ACK at all");
        Assert.True(challenges <= budget, $"{challenges} challenge ACKs exceed the limit of {limit}/s ({budget} for this attack)");
        Assert.True(net.Server.Counters.ChallengeAcksSuppressed >= tallies["SYN"].Sent - challenges, "suppressed challenge ACKs were not counted");
        // No amplification: at most one answer per forged data segment.
        Assert.True(tallies["data+ACK"].Answered <= tallies["data+ACK"].Sent && tallies["data"].Answered <= tallies["data"].Sent);
    }

    [Fact]
    public void Only_an_exact_sequence_RST_resets_and_an_in_window_one_earns_a_challenge_ACK()
    {
        using var net = new HostileNet();
        var flow = net.Open(444, 1_000, 1_000, seed: 6);
        net.Run(TimeSpan.FromMilliseconds(50));
        var c = flow.ServerSide!;
        var tcb = TcbOf(c);
        var key = flow.Key;
        byte[] Rst(SeqNum seq) => PacketBuilder.BuildTcp(HostileNet.ClientAddress, HostileNet.ServerAddress,
            new TcpSegment { SourcePort = key.RemotePort, DestinationPort = key.LocalPort, Seq = seq, Flags = TcpFlags.Rst });

        long before = net.ServerLink.Sent;
        net.ServerLink.Inject(Rst(tcb.RcvNxt + 1000));
        Assert.Equal(before + 1, net.ServerLink.Sent);
        Assert.NotEqual(TcpState.Closed, tcb.State);

        before = net.ServerLink.Sent;
        net.ServerLink.Inject(Rst(tcb.RcvNxt - 1));
        Assert.Equal(before, net.ServerLink.Sent);

        net.ServerLink.Inject(Rst(tcb.RcvNxt));
        net.Run(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpState.Closed, tcb.State);
        net.AssertNoFaults();
    }
}
