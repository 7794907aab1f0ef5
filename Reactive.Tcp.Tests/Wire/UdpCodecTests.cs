using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class UdpCodecTests
{
    [Fact]
    public void Round_trips_random_datagrams()
    {
        var random = new Random(768);
        var buffer = new byte[1600];
        for (int i = 0; i < 3000; i++)
        {
            var payload = new byte[random.Next(0, 1500)];
            random.NextBytes(payload);
            ushort sp = (ushort)random.Next(65536), dp = (ushort)random.Next(65536);
            var src = new IPv4Address((uint)random.NextInt64(0, 1L << 32));
            var dst = new IPv4Address((uint)random.NextInt64(0, 1L << 32));

            int length = UdpCodec.Write(buffer, sp, dp, payload, src, dst);
            Assert.Equal(8 + payload.Length, length);
            Assert.Equal(length, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(4)));
            Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(6)));
            Assert.Equal(0, ReferenceTransportChecksum(src, dst, 17, buffer.AsSpan(0, length)));

            Assert.Equal(DropReason.None, UdpCodec.TryParse(buffer.AsMemory(0, length), src, dst, out var d));
            Assert.Equal(sp, d.SourcePort);
            Assert.Equal(dp, d.DestinationPort);
            Assert.True(d.Payload.Span.SequenceEqual(payload));
        }
    }

    [Fact]
    public void Zero_checksum_means_none()
    {
        byte[] udp = RawUdp([1, 2, 3], noChecksum: true);
        Assert.Equal(DropReason.None, UdpCodec.TryParse(udp, ClientAddress, ServerAddress, out var d));
        Assert.Equal(new byte[] { 1, 2, 3 }, d.Payload.ToArray());
    }

    [Fact]
    public void Bytes_past_the_length_field_are_ignored()
    {
        byte[] udp = RawUdp([1, 2, 3]);
        var padded = udp.Concat(new byte[] { 0xEE, 0xEE }).ToArray();
        Assert.Equal(DropReason.None, UdpCodec.TryParse(padded, ClientAddress, ServerAddress, out var d));
        Assert.Equal(new byte[] { 1, 2, 3 }, d.Payload.ToArray());
    }

    [Fact]
    public void Bad_checksum_is_BadUdp()
    {
        byte[] udp = RawUdp([1, 2, 3]);
        udp[9] ^= 0x40;
        Assert.Equal(DropReason.BadUdp, UdpCodec.TryParse(udp, ClientAddress, ServerAddress, out _));
    }
}
