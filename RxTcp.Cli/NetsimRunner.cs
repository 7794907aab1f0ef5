using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Cli;

/// <summary>One cell of the netsim table: a buffer size and a loss rate, averaged over seeds.</summary>
/// <param name="ReceiveBuffer">Receive buffer (and so the largest window) in bytes.</param>
/// <param name="LossPercent">Random loss on each direction, percent.</param>
/// <param name="BytesPerSecond">Mean goodput over the seeds (bytes of application data per simulated second).</param>
/// <param name="PercentOfBufferPerRtt">Goodput as a percentage of buffer/RTT, the most a window that size allows.</param>
/// <param name="Runs">Seeds run.</param>
/// <param name="Failures">Runs whose transfer did not complete byte-exact.</param>
internal sealed record NetsimCell(int ReceiveBuffer, double LossPercent, double BytesPerSecond, double PercentOfBufferPerRtt, int Runs, int Failures);

/// <summary>
/// The netsim table (issue: "throughput as a percentage of buffer/RTT"): two stacks over the
/// virtual wire with a fixed round trip and random loss, on a virtual clock, so one run is
/// deterministic for its seed and costs only CPU time.
/// </summary>
internal static class NetsimRunner
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Runs every buffer × loss combination for <paramref name="seeds"/> seeds each. With
    /// <paramref name="ecn"/>, each loss rate is congestion at an ECN-aware queue instead (ECN-capable
    /// packets marked CE, others dropped) and both stacks ask for ECN.
    /// </summary>
    public static IReadOnlyList<NetsimCell> Run(IEnumerable<int> buffers, IEnumerable<double> losses, TimeSpan rtt, long bytes, int seeds, bool ecn = false)
    {
        var cells = new List<NetsimCell>();
        foreach (int buffer in buffers)
        {
            foreach (double loss in losses)
            {
                double sum = 0;
                int failures = 0;
                for (int seed = 1; seed <= seeds; seed++)
                {
                    var rate = Transfer(buffer, loss / 100, rtt, bytes, seed, ecn);
                    if (rate is null) failures++;
                    else sum += rate.Value;
                }
                int ok = seeds - failures;
                double mean = ok > 0 ? sum / ok : 0;
                double ideal = buffer / rtt.TotalSeconds;
                cells.Add(new NetsimCell(buffer, loss, mean, 100 * mean / ideal, seeds, failures));
            }
        }
        return cells;
    }

    /// <summary>One transfer; returns bytes per simulated second from SYN to the last byte delivered, or null if it failed.</summary>
    private static double? Transfer(int buffer, double loss, TimeSpan rtt, long bytes, int seed, bool ecn)
    {
        var scheduler = new HistoricalScheduler(Epoch);
        var oneWay = TimeSpan.FromTicks(rtt.Ticks / 2);
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions
        {
            AToB = Congestion(loss, ecn) with { Delay = oneWay, Seed = seed * 2 },
            BToA = Congestion(loss, ecn) with { Delay = oneWay, Seed = seed * 2 + 1 },
        });
        var config = TcpConfig.Default with
        {
            ReceiveBufferSize = buffer,
            SendBufferSize = Math.Max(TcpConfig.Default.SendBufferSize, buffer), // the window, not the sender's buffer, is what is measured
            IsnGenerator = (key, _) => (uint)HashCode.Combine(key, seed),
            MaxRetransmissions = 30,
            Ecn = ecn ? EcnMode.On : TcpConfig.Default.Ecn,
        };
        var server = IPv4Address.Parse("192.0.2.1");
        using var a = new TcpStack(wire.EndA, new TcpStackOptions { Address = server, Tcp = config, Seed = seed }, scheduler);
        using var b = new TcpStack(wire.EndB, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.2"), Tcp = config, Seed = seed + 1 }, scheduler);

        var payload = new byte[bytes];
        new Random(seed).NextBytes(payload);
        long received = 0;
        bool mismatch = false, failed = false;
        long doneAt = -1;
        using var listener = a.Listen(5001).Subscribe(c => c.Received.Subscribe(
            m =>
            {
                if (!m.Span.SequenceEqual(payload.AsSpan((int)received, m.Length))) mismatch = true;
                received += m.Length;
                if (received == bytes) doneAt = scheduler.Now.UtcTicks;
            },
            _ => failed = true));
        long start = scheduler.Now.UtcTicks;
        b.Connect(server, 5001).Subscribe(
            c => Enumerable.Range(0, (int)((bytes + 65535) / 65536))
                .Select(i => payload.AsMemory(i * 65536, (int)Math.Min(65536, bytes - i * 65536L)))
                .ToObservable()
                .Select(m => c.Send(m))
                .Concat()
                .Subscribe(_ => { }, _ => failed = true, c.Close),
            _ => failed = true);

        var limit = start + TimeSpan.FromHours(2).Ticks;
        while (doneAt < 0 && !failed && scheduler.Now.UtcTicks < limit)
            scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100));
        if (doneAt < 0 || mismatch || failed) return null;
        return bytes / TimeSpan.FromTicks(doneAt - start).TotalSeconds;
    }

    private static Impairments Congestion(double rate, bool ecn) =>
        ecn ? new Impairments { CongestionMark = rate } : new Impairments { Loss = rate };
}
