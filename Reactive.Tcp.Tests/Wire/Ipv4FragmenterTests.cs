using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class Ipv4FragmenterTests
{
    [Theory]
    [InlineData(3000, 1500)]
    [InlineData(1473, 1500)]
    [InlineData(65507, 1500)]
    [InlineData(1000, 68)]
    [InlineData(5000, 577)]
    public void Fragments_cover_the_payload_in_8_byte_units_and_fit_the_mtu(int payloadLength, int mtu)
    {
        var payload = new byte[payloadLength];
        new Random(payloadLength).NextBytes(payload);
        var packet = PacketBuilder.BuildUdp(ClientAddress, ServerAddress, 1, 2, payload);
        Ipv4Fragmenter.SetIdentification(packet, 0xBEEF);

        var fragments = Ipv4Fragmenter.Fragment(packet, mtu);

        var rebuilt = new MemoryStream();
        for (int i = 0; i < fragments.Length; i++)
        {
            var f = fragments[i];
            Assert.True(f.Length <= mtu);
            Assert.Equal(0, ReferenceChecksum(f.AsSpan(0, 20)));
            Assert.Equal(DropReason.None, Ipv4Codec.TryParse(f, out var ip));
            Assert.Equal(0xBEEF, ip.Identification);
            Assert.Equal(IpProtocol.Udp, ip.Protocol);
            Assert.False(ip.DontFragment);
            Assert.Equal(i < fragments.Length - 1, ip.MoreFragments);
            Assert.Equal(rebuilt.Length, ip.FragmentOffset * 8);
            if (ip.MoreFragments) Assert.Equal(0, ip.PayloadLength % 8);
            rebuilt.Write(f.AsSpan(20));
        }
        Assert.Equal(packet.AsSpan(20).ToArray(), rebuilt.ToArray());
    }

    [Fact]
    public void A_packet_that_fits_comes_back_whole()
    {
        var packet = PacketBuilder.BuildUdp(ClientAddress, ServerAddress, 1, 2, new byte[100]);
        var fragments = Ipv4Fragmenter.Fragment(packet, 1500);
        Assert.Single(fragments);
        Assert.Equal(packet, fragments[0]);
    }

    [Fact]
    public void Refragmenting_a_fragment_keeps_its_offset_and_more_fragments_bit()
    {
        var header = new Ipv4Header { Source = ClientAddress, Destination = ServerAddress, Protocol = IpProtocol.Udp, Identification = 4 };
        var middle = Ipv4Fragmenter.Build(header, 1480, moreFragments: true, new byte[1480]);
        var pieces = Ipv4Fragmenter.Fragment(middle, 576);
        Assert.Equal(3, pieces.Length);
        Assert.All(pieces, p => Assert.Equal(0x20, p[6] & 0x20)); // MF on every piece, the original had more after it
        Assert.Equal(1480 / 8, BinaryPrimitives.ReadUInt16BigEndian(pieces[0].AsSpan(6)) & 0x1FFF);
    }

    [Fact]
    public void Build_rejects_offsets_that_are_not_8_byte_units()
    {
        Assert.Throws<ArgumentException>(() => Ipv4Fragmenter.Build(default, 12, true, new byte[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ipv4Fragmenter.Fragment(PacketBuilder.BuildUdp(ClientAddress, ServerAddress, 1, 2, new byte[200]), 60));
    }
}
