using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class ChecksumTests
{
    [Fact]
    public void Golden_ipv4_header_checksum_is_f5eb()
    {
        byte[] header = Convert.FromHexString("450000540000000040010000c0a801dec0a8018f");
        Assert.Equal(0xF5EB, Checksum.Compute(header));

        header[10] = 0xF5;
        header[11] = 0xEB;
        Assert.Equal(0, Checksum.Compute(header));
    }

    [Fact]
    public void Rfc1071_section3_example()
    {
        // RFC 1071 §3: these eight bytes sum to 0xDDF2 after the end-around carry.
        byte[] data = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7];
        Assert.Equal(0x220D, Checksum.Compute(data));
    }

    [Theory]
    [InlineData(0u, 0xFFFF)]
    [InlineData(0xFFFFu, 0x0000)]
    [InlineData(0x1FFFEu, 0x0000)]      // 0xFFFE + 1
    [InlineData(0x12345u, 0xDCB9)]      // 0x2345 + 1 = 0x2346
    [InlineData(0xFFFFFFFFu, 0x0000)]   // 0xFFFF + 0xFFFF = 0x1FFFE -> 0xFFFF
    public void Fold_adds_carries_back_and_complements(uint sum, int expected) =>
        Assert.Equal((ushort)expected, Checksum.Fold(sum));

    [Fact]
    public void Matches_reference_for_random_lengths_contents_and_alignments()
    {
        var random = new Random(1071);
        var buffer = new byte[4200];
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            random.NextBytes(buffer);
            int offset = random.Next(0, 8);          // unaligned starts exercise the unaligned loads
            int length = iteration < 100 ? iteration : random.Next(0, buffer.Length - offset);
            var data = buffer.AsSpan(offset, length);
            Assert.Equal(ReferenceChecksum(data), Checksum.Compute(data));
        }
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0xFF)]
    public void Matches_reference_on_uniform_large_buffers(byte fill)
    {
        // All-0xFF stresses the carries; 65535 bytes is odd and the largest IPv4 packet.
        var data = new byte[65535];
        Array.Fill(data, fill);
        Assert.Equal(ReferenceChecksum(data), Checksum.Compute(data));
    }

    [Fact]
    public void Chained_sums_at_even_offsets_equal_one_shot()
    {
        var random = new Random(42);
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            var data = new byte[random.Next(0, 2000)];
            random.NextBytes(data);
            ushort expected = Checksum.Compute(data);

            // Cut at up to four random even offsets; only the last piece may be odd.
            var cuts = Enumerable.Range(0, random.Next(1, 5))
                .Select(_ => random.Next(0, data.Length / 2 + 1) * 2)
                .Append(0).Append(data.Length).Distinct().Order().ToArray();
            uint sum = 0;
            for (int i = 0; i + 1 < cuts.Length; i++) sum = Checksum.Add(sum, data.AsSpan(cuts[i], cuts[i + 1] - cuts[i]));
            Assert.Equal(expected, Checksum.Fold(sum));
        }
    }

    [Fact]
    public void Add_does_not_lose_the_carry_out_of_a_large_partial()
    {
        byte[] data = [0xFF, 0xFF, 0xFF, 0xFF];
        // 0xFFFFFFFF folds to 0xFFFF (ones'-complement zero), so adding it must not change the result.
        Assert.Equal(Checksum.Compute(data), Checksum.Fold(Checksum.Add(0xFFFFFFFF, data)));
        Assert.Equal(ReferenceChecksum([0x12, 0x34, 0xFF, 0xFF]), Checksum.Fold(Checksum.Add(0xFFFF0000 + 0x1234 - 0xFFFF, [0xFF, 0xFF])));
    }

    [Fact]
    public void Odd_piece_is_padded_with_a_zero_byte()
    {
        // The odd byte is the high half of its word: {0xAB} sums as 0xAB00.
        Assert.Equal(0x54FF, Checksum.Compute([0xAB]));
        // ...which is why only the last piece of a chain may be odd.
        Assert.Equal(Checksum.Compute([0x01, 0x02, 0x03]), Checksum.Fold(Checksum.Add(Checksum.Add(0, [0x01, 0x02]), [0x03])));
    }

    [Fact]
    public void Pseudo_header_equals_summing_the_twelve_byte_pseudo_header()
    {
        var random = new Random(7);
        for (int i = 0; i < 1000; i++)
        {
            var src = new IPv4Address((uint)random.NextInt64(0, 1L << 32));
            var dst = new IPv4Address((uint)random.NextInt64(0, 1L << 32));
            var protocol = (IpProtocol)random.Next(256);
            int length = random.Next(0, 65536);
            var pseudo = new byte[12];
            src.Write(pseudo);
            dst.Write(pseudo.AsSpan(4));
            pseudo[9] = (byte)protocol;
            pseudo[10] = (byte)(length >> 8);
            pseudo[11] = (byte)length;
            Assert.Equal(ReferenceChecksum(pseudo), Checksum.Fold(Checksum.PseudoHeader(src, dst, protocol, length)));
        }
    }

    [Fact]
    public void Pseudo_header_rejects_negative_length() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Checksum.PseudoHeader(default, default, IpProtocol.Tcp, -1));
}
