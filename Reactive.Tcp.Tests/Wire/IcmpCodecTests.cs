using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class IcmpCodecTests
{
    [Fact]
    public void Parses_echo_request_from_span_and_memory()
    {
        byte[] icmp = RawIcmp(8, 0, 0x1234, 7, [0xDE, 0xAD, 0xBE]);

        Assert.Equal(DropReason.None, IcmpCodec.TryParseEcho(icmp.AsSpan(), out var fromSpan));
        Assert.Equal(IcmpType.EchoRequest, fromSpan.Type);
        Assert.Equal(0x1234, fromSpan.Identifier);
        Assert.Equal(7, fromSpan.SequenceNumber);
        Assert.Equal(3, fromSpan.DataLength);

        Assert.Equal(DropReason.None, IcmpCodec.TryParseEcho(icmp.AsMemory(), out var fromMemory));
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE }, fromMemory.Data.ToArray());
    }

    [Fact]
    public void An_array_argument_picks_the_overload_that_fills_Data()
    {
        byte[] icmp = RawIcmp(0, 0, 1, 1, [7, 7]);
        Assert.Equal(DropReason.None, IcmpCodec.TryParseEcho(icmp, out var message));
        Assert.Equal(new byte[] { 7, 7 }, message.Data.ToArray());
    }

    [Fact]
    public void Reply_has_correct_checksum_and_echoes_the_request()
    {
        var random = new Random(792);
        for (int i = 0; i < 2000; i++)
        {
            var data = new byte[random.Next(0, 1473)];
            random.NextBytes(data);
            ushort id = (ushort)random.Next(65536), seq = (ushort)random.Next(65536);
            var buffer = new byte[8 + data.Length];

            bool request = random.Next(2) == 0;
            int written = request
                ? IcmpCodec.WriteEchoRequest(buffer, id, seq, data)
                : IcmpCodec.WriteEchoReply(buffer, id, seq, data);
            Assert.Equal(buffer.Length, written);
            Assert.Equal(0, ReferenceChecksum(buffer));
            Assert.Equal(request ? 8 : 0, buffer[0]);

            Assert.Equal(DropReason.None, IcmpCodec.TryParseEcho(buffer.AsMemory(), out var parsed));
            Assert.Equal(request ? IcmpType.EchoRequest : IcmpType.EchoReply, parsed.Type);
            Assert.Equal(id, parsed.Identifier);
            Assert.Equal(seq, parsed.SequenceNumber);
            Assert.True(parsed.Data.Span.SequenceEqual(data));
        }
    }

    [Fact]
    public void Reply_can_be_written_over_its_own_request()
    {
        byte[] icmp = RawIcmp(8, 0, 1, 2, [1, 2, 3, 4, 5]);
        IcmpCodec.WriteEchoReply(icmp, 1, 2, icmp.AsSpan(8));
        Assert.Equal(DropReason.None, IcmpCodec.TryParseEcho(icmp.AsMemory(), out var reply));
        Assert.Equal(IcmpType.EchoReply, reply.Type);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, reply.Data.ToArray());
    }

    [Fact]
    public void Non_echo_types_and_codes_are_unsupported()
    {
        Assert.Equal(DropReason.UnsupportedIcmp, IcmpCodec.TryParseEcho(RawIcmp(3, 3, 0, 0, new byte[28]).AsSpan(), out _));
        Assert.Equal(DropReason.UnsupportedIcmp, IcmpCodec.TryParseEcho(RawIcmp(8, 1, 0, 0, []).AsSpan(), out _));
    }

    [Fact]
    public void Checksum_is_verified()
    {
        byte[] icmp = RawIcmp(0, 0, 9, 9, [1, 2, 3]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), 10);
        Assert.Equal(DropReason.BadIcmpChecksum, IcmpCodec.TryParseEcho(icmp.AsSpan(), out _));
    }
}
