using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class TcpCodecTests
{
    // 192.168.1.2:40000 > 192.168.1.1:80 SYN seq 0x12345678 win 64240
    // <mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7>; checksum 0xC096 computed by hand
    // (Python, outside this code base), laid out the way Linux sends a SYN.
    private static readonly byte[] GoldenSynBytes = Convert.FromHexString(
        "9c40005012345678" + "00000000" + "a002faf0" + "c0960000" +
        "020405b4" + "0402080a" + "000003e8" + "00000000" + "01030307");

    private static TcpSegment GoldenSynSegment() => new()
    {
        SourcePort = 40000,
        DestinationPort = 80,
        Seq = new SeqNum(0x12345678),
        Flags = TcpFlags.Syn,
        Window = 64240,
        Options = new TcpOptions { Mss = 1460, SackPermitted = true, HasTimestamps = true, TsVal = 1000, HasWindowScale = true, WindowScale = 7 },
    };

    [Fact]
    public void Writes_golden_syn_byte_for_byte()
    {
        var segment = GoldenSynSegment();
        Assert.Equal(40, TcpCodec.GetHeaderLength(segment));
        var buffer = new byte[64];
        Assert.Equal(40, TcpCodec.Write(buffer, segment, ClientAddress, ServerAddress));
        Assert.Equal(Convert.ToHexString(GoldenSynBytes), Convert.ToHexString(buffer, 0, 40));
        Assert.Equal(0xC096, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(16)));
    }

    [Fact]
    public void Golden_syn_checksum_agrees_with_reference_implementation()
    {
        var copy = (byte[])GoldenSynBytes.Clone();
        copy[16] = copy[17] = 0;
        Assert.Equal(0xC096, ReferenceTransportChecksum(ClientAddress, ServerAddress, 6, copy));
    }

    [Fact]
    public void Parses_golden_syn()
    {
        Assert.Equal(DropReason.None, TcpCodec.TryParse(GoldenSynBytes, ClientAddress, ServerAddress, out var s));
        Assert.Equal(40000, s.SourcePort);
        Assert.Equal(80, s.DestinationPort);
        Assert.Equal(0x12345678u, s.Seq.Value);
        Assert.Equal(TcpFlags.Syn, s.Flags);
        Assert.Equal(64240, s.Window);
        Assert.Equal(1460, s.Options.Mss);
        Assert.True(s.Options.SackPermitted);
        Assert.True(s.Options.HasTimestamps);
        Assert.Equal(1000u, s.Options.TsVal);
        Assert.Equal(0u, s.Options.TsEcr);
        Assert.True(s.Options.HasWindowScale);
        Assert.Equal(7, s.Options.WindowScale);
        Assert.Equal(0, s.Options.SackCount);
        Assert.True(s.Payload.IsEmpty);
    }

    [Fact]
    public void Checksum_depends_on_the_pseudo_header()
    {
        // Same bytes, different addresses: the pseudo-header must be part of the check.
        Assert.Equal(DropReason.BadTcpChecksum, TcpCodec.TryParse(GoldenSynBytes, ClientAddress, IPv4Address.Parse("192.168.1.3"), out _));
    }

    [Fact]
    public void Round_trips_random_segments_and_options()
    {
        var random = new Random(9293);
        var buffer = new byte[2000];
        for (int i = 0; i < 4000; i++)
        {
            var written = RandomSegment(random);
            var src = new IPv4Address((uint)random.NextInt64(0, 1L << 32));
            var dst = new IPv4Address((uint)random.NextInt64(0, 1L << 32));
            random.NextBytes(buffer); // stale bytes must not leak into the output

            int length = TcpCodec.Write(buffer, written, src, dst);
            int headerLength = TcpCodec.GetHeaderLength(written);
            Assert.Equal(headerLength + written.Payload.Length, length);
            Assert.Equal(headerLength, (buffer[12] >> 4) * 4);
            Assert.Equal(0, headerLength % 4);
            Assert.InRange(written.Options.WireLength, 0, TcpOptions.MaxWireLength);
            Assert.Equal(0, ReferenceTransportChecksum(src, dst, 6, buffer.AsSpan(0, length)));

            var segment = buffer.AsMemory(0, length);
            Assert.Equal(DropReason.None, TcpCodec.TryParse(segment, src, dst, out var parsed));
            AssertSegmentRoundTrip(written, parsed);
            if (written.Payload.Length > 0)
                Assert.True(parsed.Payload.Span.Overlaps(segment.Span), "the payload is a slice, not a copy");
        }
    }

    [Theory]
    [InlineData(false, false, false, false, 0, 0)]
    [InlineData(true, false, false, false, 0, 4)]
    [InlineData(true, true, true, true, 0, 20)]   // a Linux SYN
    [InlineData(false, true, false, false, 0, 4)] // NOP NOP sackOK
    [InlineData(false, false, true, false, 0, 12)] // NOP NOP TS
    [InlineData(false, false, true, false, 4, 40)] // TS + 3 blocks: the 4th does not fit
    [InlineData(false, false, false, false, 4, 36)]
    [InlineData(true, true, true, true, 4, 40)]   // only two blocks fit after MSS+TS+WS
    public void WireLength_matches_bytes_written(bool mss, bool sackOk, bool ts, bool ws, int sackBlocks, int expected)
    {
        var options = new TcpOptions
        {
            Mss = (ushort)(mss ? 1460 : 0),
            SackPermitted = sackOk,
            HasTimestamps = ts,
            HasWindowScale = ws,
            WindowScale = 7,
            SackCount = sackBlocks,
        };
        Assert.Equal(expected, options.WireLength);
        var segment = new TcpSegment { Options = options };
        var buffer = new byte[80];
        Assert.Equal(20 + expected, TcpCodec.Write(buffer, segment, ClientAddress, ServerAddress));
        Assert.Equal(DropReason.None, TcpCodec.TryParse(buffer.AsMemory(0, 20 + expected), ClientAddress, ServerAddress, out var parsed));
        AssertOptionsRoundTrip(options, parsed.Options);
    }

    [Fact]
    public void Eol_ends_option_parsing()
    {
        // MSS, then EOL, then bytes that would be a bad option if they were read.
        byte[] tcp = RawTcp([2, 4, 0x05, 0xB4, 0, 0xFE, 0, 0]);
        Assert.Equal(DropReason.None, TcpCodec.TryParse(tcp, ClientAddress, ServerAddress, out var s));
        Assert.Equal(1460, s.Options.Mss);
    }

    [Fact]
    public void Unknown_options_are_skipped_by_their_length()
    {
        // kind 30 (MPTCP) length 6, then window scale.
        byte[] tcp = RawTcp([30, 6, 1, 2, 3, 4, 1, 3, 3, 9]);
        Assert.Equal(DropReason.None, TcpCodec.TryParse(tcp, ClientAddress, ServerAddress, out var s));
        Assert.True(s.Options.HasWindowScale);
        Assert.Equal(9, s.Options.WindowScale);
    }

    [Fact]
    public void Parses_sack_blocks()
    {
        byte[] tcp = RawTcp([1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40]);
        Assert.Equal(DropReason.None, TcpCodec.TryParse(tcp, ClientAddress, ServerAddress, out var s));
        Assert.Equal(2, s.Options.SackCount);
        Assert.Equal(new SackBlock(new SeqNum(10), new SeqNum(20)), s.Options.Sack[0]);
        Assert.Equal(new SackBlock(new SeqNum(30), new SeqNum(40)), s.Options.Sack[1]);
    }

    [Fact]
    public void Payload_follows_the_header_including_options()
    {
        byte[] tcp = RawTcp([2, 4, 0x05, 0xB4], payload: [1, 2, 3, 4, 5]);
        var memory = new byte[3].Concat(tcp).ToArray().AsMemory(3); // not at offset 0 of its array
        Assert.Equal(DropReason.None, TcpCodec.TryParse(memory, ClientAddress, ServerAddress, out var s));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, s.Payload.ToArray());
        Assert.Equal(5, s.SequenceLength);
    }

    [Fact]
    public void Write_rejects_a_short_buffer()
    {
        var segment = new TcpSegment { Payload = new byte[10] };
        Assert.Throws<ArgumentException>(() => TcpCodec.Write(new byte[29], segment, ClientAddress, ServerAddress));
    }
}
