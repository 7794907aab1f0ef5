using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using Reactive.Tcp.Wire;

namespace RxTcp.Benchmarks;

/// <summary>
/// The internet checksum over typical lengths: <see cref="Checksum.Compute"/> against a naive
/// loop over big-endian 16-bit words (the baseline), plus a Vector256 candidate written here to
/// show what explicit SIMD would add on top of the library's unrolled 64-bit scalar sum.
/// </summary>
[Config(typeof(BenchConfig))]
public class ChecksumBenchmarks
{
    private byte[] _data = [];

    [Params(64, 576, 1500, 9000, 65535)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(42).NextBytes(_data);
        ushort expected = Naive(_data);
        if (Checksum.Compute(_data) != expected || Vector256Sum(_data) != expected)
            throw new InvalidOperationException($"Checksum implementations disagree at {Size} bytes.");
    }

    [Benchmark(Baseline = true, Description = "Naive 16-bit loop")]
    public ushort NaiveLoop() => Naive(_data);

    [Benchmark(Description = "Checksum.Compute")]
    public ushort Library() => Checksum.Compute(_data);

    [Benchmark(Description = "Vector256 candidate")]
    public ushort Candidate() => Vector256Sum(_data);

    /// <summary>RFC 1071 by the book: big-endian words summed into 32 bits, folded, complemented.</summary>
    public static ushort Naive(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)((data[i] << 8) | data[i + 1]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>
    /// 64 bytes per turn as two Vector256 loads, each widened from 32-bit to 64-bit lanes so the
    /// accumulators cannot overflow; the tail (under 64 bytes) goes through the library.
    /// </summary>
    public static ushort Vector256Sum(ReadOnlySpan<byte> data)
    {
        int i = 0;
        ulong wide = 0;
        if (Vector256.IsHardwareAccelerated && data.Length >= 64)
        {
            ref byte start = ref MemoryMarshal.GetReference(data);
            var acc0 = Vector256<ulong>.Zero;
            var acc1 = Vector256<ulong>.Zero;
            for (; i <= data.Length - 64; i += 64)
            {
                var v0 = Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt32();
                var v1 = Vector256.LoadUnsafe(ref start, (nuint)(i + 32)).AsUInt32();
                var (a, b) = Vector256.Widen(v0);
                var (c, d) = Vector256.Widen(v1);
                acc0 += a + b;
                acc1 += c + d;
            }
            wide = Vector256.Sum(acc0 + acc1);
        }
        while (wide > 0xFFFF) wide = (wide & 0xFFFF) + (wide >> 16);
        ushort head = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)wide) : (ushort)wide;
        return Checksum.Fold(Checksum.Add(head, data[i..]));
    }
}
