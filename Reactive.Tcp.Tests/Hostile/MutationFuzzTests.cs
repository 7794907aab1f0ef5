using RxTcp.Fuzz;
using System.Buffers.Binary;
using System.Diagnostics;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>
/// In-process mutational fuzzing against a stack with established connections: real segments of
/// live transfers are copied, mutated (bit flips, truncation, length fields, data offset, option
/// bytes, flags, windows) and injected beside the real traffic, half of them with checksums fixed
/// so they reach the TCP step. The transfers must still deliver byte-exact data.
/// </summary>
public class MutationFuzzTests(ITestOutputHelper output)
{
    private const int Target = 300_000;

    [Fact]
    public void Hundreds_of_thousands_of_mutated_segments_neither_fault_the_stack_nor_corrupt_live_transfers()
    {
        var rng = new Random(20240601);
        using var net = new HostileNet();
        var recent = new List<byte[]>();
        net.ServerLink.OnInbound = f =>
        {
            if (PacketParser.Parse(f, out var p) != DropReason.None || p.Kind != PacketKind.Tcp) return;
            if (recent.Count < 256) recent.Add(f.ToArray());
            else recent[rng.Next(recent.Count)] = f.ToArray();
        };

        var flows = new List<HostileNet.Flow>();
        var stopwatch = Stopwatch.StartNew();
        long injected = 0, reachedStep = 0, withheld = 0;
        ushort port = 1000;
        var live = new List<HostileNet.Flow>();
        while (injected < Target)
        {
            live.RemoveAll(f => f.Complete || f.Failed);
            while (live.Count < 3)
            {
                var flow = net.Open(port++, rng.Next(50_000, 300_000), rng.Next(10_000, 100_000), rng.Next());
                flows.Add(flow);
                live.Add(flow);
            }
            for (int i = 0; i < 3000 && recent.Count > 0; i++)
            {
                var original = recent[rng.Next(recent.Count)];
                var mutant = Mutate(original, rng, out bool fixedChecksums);
                if (!Harmless(original, mutant)) { withheld++; continue; }
                if (fixedChecksums) reachedStep++;
                net.ServerLink.Inject(mutant);
                injected++;
            }
            net.Run(TimeSpan.FromMilliseconds(1));
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), "mutation run too slow");
        }
        net.RunUntil(() => flows.All(f => f.Complete || f.Failed) && net.Server.ConnectionCount == 0, TimeSpan.FromMinutes(10));

        output.WriteLine($"{injected} mutants injected ({reachedStep} with fixed checksums), {withheld} withheld as legitimate forgeries, {flows.Count} flows, {stopwatch.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"server drops: {net.Server.Drops}");
        net.AssertNoFaults();
        Assert.True(net.ServerAnswersPing());
        var broken = flows.Select((f, i) => (i, f)).Where(x => x.f.Corruption() is not null || !x.f.Complete)
            .Select(x => $"flow {x.i}: {x.f.Corruption() ?? "incomplete"} (server error {x.f.ServerError?.Message}, client error {x.f.ClientError?.Message})").ToList();
        Assert.True(broken.Count == 0, string.Join(Environment.NewLine, broken));
        var after = net.Open(port, 50_000, 50_000, 1);
        Assert.True(net.RunUntil(() => after.Complete, TimeSpan.FromMinutes(1)), "a fresh transfer after the run did not complete");
        Assert.Null(after.Corruption());
    }

    internal static byte[] Mutate(byte[] original, Random rng, out bool fixedChecksums)
    {
        var m = (byte[])original.Clone();
        int tcp = (m[0] & 0xF) * 4;
        int dataOffset = (m[tcp + 12] >> 4) * 4;
        switch (rng.Next(9))
        {
            case 0:
                for (int n = rng.Next(1, 9); n > 0; n--) m[rng.Next(m.Length)] ^= (byte)(1 << rng.Next(8));
                break;
            case 1:
                m = m[..rng.Next(m.Length)];
                if (m.Length >= 4 && rng.Next(2) == 0) BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), (ushort)m.Length);
                break;
            case 2:
                if (rng.Next(2) == 0) BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), (ushort)rng.Next(0, 70_000));
                else m[0] = (byte)(0x40 | rng.Next(16));
                break;
            case 3:
                m[tcp + 12] = (byte)(rng.Next(16) << 4 | (m[tcp + 12] & 0xF));
                break;
            case 4:
                if (dataOffset > 20)
                {
                    int at = tcp + 20 + rng.Next(dataOffset - 20);
                    m[at] = rng.Next(3) switch { 0 => (byte)rng.Next(256), 1 => (byte)rng.Next(0, 3), _ => (byte)(m[at] + rng.Next(-2, 3)) };
                }
                break;
            case 5:
                m[tcp + 13] = (byte)rng.Next(256);
                break;
            case 6:
                BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(tcp + (rng.Next(2) == 0 ? 14 : 18)), (ushort)rng.Next(65536));
                break;
            case 7:
                BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(tcp + 8), BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(tcp + 8)) - (uint)rng.Next(1, 1 << rng.Next(1, 31)));
                break;
            default:
                Array.Resize(ref m, m.Length + rng.Next(1, 64));
                break;
        }
        fixedChecksums = rng.Next(2) == 0;
        if (fixedChecksums) FrameFixer.Apply(m, FrameFixer.FixChecksums, default);
        return m;
    }

    /// <summary>
    /// False for a mutant the stack would be right to accept as real data: a forgery, not a malformed
    /// packet (same connection and parseable, but a different sequence number or payload, a new RST or
    /// FIN, or an ACK for data not yet acknowledged). Those are the blind-attack tests' business.
    /// </summary>
    internal static bool Harmless(byte[] original, byte[] mutant)
    {
        if (PacketParser.Parse(mutant, out var m) != DropReason.None || m.Kind != PacketKind.Tcp) return true;
        PacketParser.Parse(original, out var o);
        // A mutant moved to another 4-tuple is harmless unless it might land on another live flow
        // (flows share both addresses, so one changed port could): only both ports changed counts.
        if (m.TcpConnectionKey != o.TcpConnectionKey)
            return m.Ip.Destination != o.Ip.Destination || (m.Tcp.DestinationPort != o.Tcp.DestinationPort && m.Tcp.SourcePort != o.Tcp.SourcePort);
        var added = m.Tcp.Flags & ~o.Tcp.Flags;
        return m.Tcp.Seq == o.Tcp.Seq
               && o.Tcp.Payload.Span.StartsWith(m.Tcp.Payload.Span)
               && (added & (TcpFlags.Rst | TcpFlags.Fin)) == 0
               && (!m.Tcp.Has(TcpFlags.Fin) || m.Tcp.Payload.Length == o.Tcp.Payload.Length)
               && (!m.Tcp.Has(TcpFlags.Ack) || (o.Tcp.Has(TcpFlags.Ack) && m.Tcp.Ack <= o.Tcp.Ack));
    }
}
