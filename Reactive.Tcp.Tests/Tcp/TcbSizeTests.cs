using System.Runtime.CompilerServices;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Tcp;

/// <summary>
/// An idle connection's memory is a tracked figure (BENCHMARKS.md), and the <see cref="Tcb"/> is
/// most of it: its typed parts are structs held inline, so the block stays one object, and
/// splitting it must not make it larger.
/// </summary>
public class TcbSizeTests(ITestOutputHelper output)
{
    /// <summary>The block's size once split into typed parts (64-bit runtime; 448 B before the split).</summary>
    private const int TcbBytes = 440;

    /// <summary>The size of the 4-tuple then (IPv4): a wider key is the key's cost, not the block's.</summary>
    private const int KeyBytes = 12;

    [Fact]
    public void A_new_block_is_one_object_no_larger_than_after_its_split()
    {
        var key = new ConnectionKey(IPv4Address.Parse("192.0.2.2"), 80, IPv4Address.Parse("192.0.2.1"), 40000);
        _ = new Tcb(key, TcpConfig.Default, new SeqNum(1)); // JIT and type loading out of the way
        long before = GC.GetAllocatedBytesForCurrentThread();
        var tcb = new Tcb(key, TcpConfig.Default, new SeqNum(1));
        long size = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(tcb);
        output.WriteLine($"Tcb: {size} B; parts: send {Unsafe.SizeOf<SendSequenceSpace>()} B, receive {Unsafe.SizeOf<ReceiveSequenceSpace>()} B, "
            + $"recovery {Unsafe.SizeOf<LossRecovery>()} B, congestion {Unsafe.SizeOf<CongestionWindow>()} B, rtt {Unsafe.SizeOf<RttEstimator>()} B, "
            + $"ecn {Unsafe.SizeOf<EcnState>()} B, timestamps {Unsafe.SizeOf<TimestampState>()} B, timers {Unsafe.SizeOf<TcpTimers>()} B");

        int keyGrowth = Math.Max(0, Unsafe.SizeOf<ConnectionKey>() - KeyBytes);
        Assert.InRange(size, 1, TcbBytes + (keyGrowth + 7) / 8 * 8);
    }
}
