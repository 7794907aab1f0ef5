using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class Ipv4CodecTests
{
    [Fact]
    public void Parses_golden_header()
    {
        // The golden header with DF set: 0x4000 more in the sum takes 0xF5EB down to 0xB5EB.
        byte[] packet = new byte[0x54];
        Convert.FromHexString("45000054000040004001b5ebc0a801dec0a8018f").CopyTo(packet, 0);

        Assert.Equal(DropReason.None, Ipv4Codec.TryParse(packet, out var h));
        Assert.Equal(20, h.HeaderLength);
        Assert.Equal(0x54, h.TotalLength);
        Assert.True(h.DontFragment);
        Assert.False(h.IsFragment);
        Assert.Equal(64, h.Ttl);
        Assert.Equal(IpProtocol.Icmp, h.Protocol);
        Assert.Equal(IPv4Address.Parse("192.168.1.222"), h.Source);
        Assert.Equal(IPv4Address.Parse("192.168.1.143"), h.Destination);
        Assert.Equal(0x54 - 20, h.PayloadLength);
    }

    [Fact]
    public void Writes_golden_header()
    {
        var header = new Ipv4Header
        {
            TotalLength = 0x54,
            Ttl = 64,
            Protocol = IpProtocol.Icmp,
            Source = IPv4Address.Parse("192.168.1.222"),
            Destination = IPv4Address.Parse("192.168.1.143"),
            HeaderLength = 60, // ignored: the codec always writes 20 bytes
        };
        var buffer = new byte[24];
        Assert.Equal(20, Ipv4Codec.Write(buffer, header));
        Assert.Equal("45000054000000004001F5EBC0A801DEC0A8018F00000000", Convert.ToHexString(buffer));
    }

    [Fact]
    public void Round_trips_random_headers()
    {
        var random = new Random(791);
        for (int i = 0; i < 3000; i++)
        {
            var written = new Ipv4Header
            {
                Tos = (byte)random.Next(256),
                TotalLength = (ushort)random.Next(20, 1600),
                Identification = (ushort)random.Next(65536),
                DontFragment = random.Next(2) == 0,
                MoreFragments = random.Next(2) == 0,
                FragmentOffset = (ushort)random.Next(0, 8192),
                Ttl = (byte)random.Next(256),
                Protocol = (IpProtocol)random.Next(256),
                Source = new IPv4Address((uint)random.NextInt64(0, 1L << 32)),
                Destination = new IPv4Address((uint)random.NextInt64(0, 1L << 32)),
            };
            var packet = new byte[written.TotalLength + random.Next(0, 4)]; // sometimes trailing padding
            random.NextBytes(packet);
            Ipv4Codec.Write(packet, written);
            Assert.Equal(0, ReferenceChecksum(packet.AsSpan(0, 20)));

            Assert.Equal(DropReason.None, Ipv4Codec.TryParse(packet, out var parsed));
            Assert.Equal(20, parsed.HeaderLength);
            Assert.Equal(written.Tos, parsed.Tos);
            Assert.Equal(written.TotalLength, parsed.TotalLength);
            Assert.Equal(written.Identification, parsed.Identification);
            Assert.Equal(written.DontFragment, parsed.DontFragment);
            Assert.Equal(written.MoreFragments, parsed.MoreFragments);
            Assert.Equal(written.FragmentOffset, parsed.FragmentOffset);
            Assert.Equal(written.MoreFragments || written.FragmentOffset != 0, parsed.IsFragment);
            Assert.Equal(written.Ttl, parsed.Ttl);
            Assert.Equal(written.Protocol, parsed.Protocol);
            Assert.Equal(written.Source, parsed.Source);
            Assert.Equal(written.Destination, parsed.Destination);
        }
    }

    [Fact]
    public void Header_options_are_covered_by_the_checksum_and_skipped()
    {
        byte[] packet = RawIp(6, new byte[8], ihlWords: 6);
        Assert.Equal(DropReason.None, Ipv4Codec.TryParse(packet, out var h));
        Assert.Equal(24, h.HeaderLength);

        packet[21] ^= 0xFF; // inside the options, past the fixed header
        Assert.Equal(DropReason.BadIpChecksum, Ipv4Codec.TryParse(packet, out _));
    }

    [Fact]
    public void Fragments_parse_with_IsFragment_set()
    {
        Assert.Equal(DropReason.None, Ipv4Codec.TryParse(RawIp(17, new byte[8], flagsAndOffset: 0x2000), out var mf));
        Assert.True(mf.MoreFragments);
        Assert.True(mf.IsFragment);
        Assert.Equal(DropReason.None, Ipv4Codec.TryParse(RawIp(17, new byte[8], flagsAndOffset: 0x00B9), out var last));
        Assert.Equal(0xB9, last.FragmentOffset);
        Assert.True(last.IsFragment);
    }

    [Fact]
    public void Write_rejects_a_short_buffer() =>
        Assert.Throws<ArgumentException>(() => Ipv4Codec.Write(new byte[19], new Ipv4Header()));
}
