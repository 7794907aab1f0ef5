using System.Runtime.InteropServices;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Tcp;

public class BufferTests
{
    [Fact]
    public void SeqNum_compares_across_wrap_around()
    {
        var high = new SeqNum(uint.MaxValue - 5);
        var low = high + 10;
        Assert.Equal(4u, low.Value);
        Assert.True(low > high);
        Assert.True(high < low);
        Assert.Equal(10, low - high);
        Assert.True(new SeqNum(1).InRange(high, low));
    }

    [Fact]
    public void ByteRing_wraps_and_peeks_across_the_seam()
    {
        var ring = new ByteRing(8);
        Assert.Equal(6, ring.Append(new byte[] { 1, 2, 3, 4, 5, 6 }));
        ring.Discard(5);
        Assert.Equal(7, ring.Append(new byte[] { 7, 8, 9, 10, 11, 12, 13, 99 }));
        Assert.Equal(8, ring.Count);
        Assert.Equal(new byte[] { 6, 7, 8, 9, 10, 11, 12, 13 }, ring.Peek(0, 8).ToArray());
        Assert.Equal(0, ring.Free);
    }

    [Fact]
    public void ByteRing_peeks_across_the_seam_as_two_slices_of_its_storage()
    {
        var ring = new ByteRing(8);
        ring.Append(new byte[] { 1, 2, 3, 4, 5, 6 });
        ring.Discard(5);
        ring.Append(new byte[] { 7, 8, 9, 10, 11, 12, 13 });

        ring.Peek(1, 6, out var first, out var second);
        Assert.Equal(new byte[] { 7, 8 }, first.ToArray());
        Assert.Equal(new byte[] { 9, 10, 11, 12 }, second.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(first, out var a));
        Assert.True(MemoryMarshal.TryGetArray(second, out var b));
        Assert.Same(a.Array, b.Array); // both slices of the ring's one storage array, not copies
        Assert.Equal(0, b.Offset);

        ring.Peek(3, 4, out first, out second);
        Assert.Equal(new byte[] { 9, 10, 11, 12 }, first.ToArray());
        Assert.True(second.IsEmpty);
    }

    [Fact]
    public void Reassembly_ranges_merge_and_release_the_contiguous_prefix()
    {
        var ranges = new ReassemblyRanges(maxRanges: 2);
        var b = new SeqNum(100);
        Assert.True(ranges.Add(b + 10, b + 20));
        Assert.True(ranges.Add(b + 30, b + 40));
        Assert.False(ranges.Add(b + 50, b + 60)); // bounded
        Assert.True(ranges.Add(b + 20, b + 30));  // bridges the two
        Assert.Equal(1, ranges.Count);
        Assert.Equal(b, ranges.TakeContiguous(b));
        Assert.Equal(b + 40, ranges.TakeContiguous(b + 10));
        Assert.Equal(0, ranges.Count);
    }

    [Fact]
    public void Rtt_estimator_follows_rfc6298()
    {
        var config = TcpConfig.Default with { MinRto = TimeSpan.FromMilliseconds(1) };
        var est = new RttEstimator(config);
        Assert.Equal(TimeSpan.FromSeconds(1).Ticks, est.Rto(config));
        est.Sample(TimeSpan.FromMilliseconds(100).Ticks, config);
        Assert.Equal(TimeSpan.FromMilliseconds(100).Ticks, est.Srtt);
        Assert.Equal(TimeSpan.FromMilliseconds(50).Ticks, est.RttVar);
        Assert.Equal(TimeSpan.FromMilliseconds(300).Ticks, est.Rto(config));
        est.Sample(TimeSpan.FromMilliseconds(200).Ticks, config);
        // RTTVAR = 3/4·50 + 1/4·|100−200| = 62.5 ms; SRTT = 7/8·100 + 1/8·200 = 112.5 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(62.5).Ticks, est.RttVar);
        Assert.Equal(TimeSpan.FromMilliseconds(112.5).Ticks, est.Srtt);
        est.OnTimeout();
        est.OnTimeout();
        Assert.Equal(4 * TimeSpan.FromMilliseconds(362.5).Ticks, est.Rto(config));
        est.ResetBackoff();
        Assert.Equal(TimeSpan.FromMilliseconds(362.5).Ticks, est.Rto(config));
    }

    [Fact]
    public void Minimart_preset_keeps_a_fixed_two_second_transmit_check()
    {
        var est = new RttEstimator(TcpConfig.Minimart);
        est.Sample(TimeSpan.FromMilliseconds(5).Ticks, TcpConfig.Minimart);
        est.OnTimeout();
        est.OnTimeout();
        Assert.Equal(TimeSpan.FromSeconds(2).Ticks, est.Rto(TcpConfig.Minimart));
        Assert.Equal(536, TcpConfig.Minimart.Mss);
        Assert.Equal(65535, TcpConfig.Minimart.ReceiveBufferSize);
        Assert.Equal(TimeSpan.FromSeconds(240), 2 * TcpConfig.Minimart.Msl);
    }
}
