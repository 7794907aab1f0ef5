using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Wire;

public class MacAddressTests
{
    [Theory]
    [InlineData("02:00:00:00:00:01", 0x020000000001UL)]
    [InlineData("ff:ff:ff:ff:ff:ff", 0xFFFFFFFFFFFFUL)]
    [InlineData("00:00:00:00:00:00", 0UL)]
    [InlineData("DE-AD-BE-EF-00-7f", 0xDEADBEEF007FUL)]
    public void Parses_colon_and_hyphen_forms_in_either_case(string text, ulong value)
    {
        Assert.True(MacAddress.TryParse(text, out var mac));
        Assert.Equal(value, mac.Value);
        Assert.Equal(text.Replace('-', ':').ToLowerInvariant(), mac.ToString());
        Assert.Equal(mac, MacAddress.Parse(mac.ToString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("02:00:00:00:00")]
    [InlineData("02:00:00:00:00:001")]
    [InlineData("02:00-00:00:00:01")]
    [InlineData("02:00:00:00:00:0g")]
    [InlineData("0200.0000.0001xx")]
    [InlineData("02 00 00 00 00 01")]
    public void Rejects_malformed_text(string? text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
        if (text is not null) Assert.Throws<FormatException>(() => MacAddress.Parse(text));
    }

    [Fact]
    public void Reads_and_writes_in_transmission_order()
    {
        byte[] bytes = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x99];
        var mac = MacAddress.Read(bytes);
        Assert.Equal("02:11:22:33:44:55", mac.ToString());
        var written = new byte[6];
        mac.Write(written);
        Assert.Equal(bytes[..6], written);
        Assert.Throws<ArgumentOutOfRangeException>(() => MacAddress.Read(bytes.AsSpan(0, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacAddress(1UL << 48));
    }

    [Fact]
    public void Classifies_broadcast_multicast_unicast_and_local_addresses()
    {
        Assert.True(MacAddress.Broadcast.IsBroadcast);
        Assert.True(MacAddress.Broadcast.IsMulticast);
        Assert.False(MacAddress.Broadcast.IsUnicast);
        Assert.True(MacAddress.Zero.IsZero);
        Assert.False(MacAddress.Zero.IsUnicast);

        var ipv4Group = MacAddress.Parse("01:00:5e:00:00:fb");
        Assert.True(ipv4Group.IsMulticast);
        Assert.False(ipv4Group.IsBroadcast);
        Assert.False(ipv4Group.IsUnicast);

        var universal = MacAddress.Parse("00:1b:21:aa:bb:cc");
        Assert.True(universal.IsUnicast);
        Assert.False(universal.IsLocallyAdministered);
        Assert.True(MacAddress.Parse("02:00:00:00:00:01").IsLocallyAdministered);
    }

    [Fact]
    public void Random_addresses_are_locally_administered_unicast_and_seeded()
    {
        var seen = new HashSet<MacAddress>();
        for (int seed = 0; seed < 500; seed++)
        {
            var mac = MacAddress.NewLocallyAdministered(seed);
            Assert.True(mac.IsLocallyAdministered, mac.ToString());
            Assert.True(mac.IsUnicast, mac.ToString());
            Assert.Equal(mac, MacAddress.NewLocallyAdministered(seed));
            seen.Add(mac);
        }
        Assert.True(seen.Count > 490, $"only {seen.Count} distinct addresses from 500 seeds");
        var rng = new Random(7);
        Assert.NotEqual(MacAddress.NewLocallyAdministered(rng), MacAddress.NewLocallyAdministered(rng));
    }

    [Theory]
    [InlineData("224.0.0.251", "01:00:5e:00:00:fb")]
    [InlineData("239.255.255.250", "01:00:5e:7f:ff:fa")]
    [InlineData("224.128.0.1", "01:00:5e:00:00:01")] // the 24th bit is lost: 32 groups share each address
    public void Maps_IPv4_multicast_groups_per_RFC_1112(string group, string mac)
    {
        Assert.Equal(MacAddress.Parse(mac), MacAddress.FromIPv4Multicast(IPv4Address.Parse(group)));
    }

    [Fact]
    public void Refuses_to_map_a_unicast_address()
    {
        Assert.Throws<ArgumentException>(() => MacAddress.FromIPv4Multicast(IPv4Address.Parse("192.0.2.1")));
    }

    [Fact]
    public void Orders_and_compares_by_value()
    {
        var a = MacAddress.Parse("02:00:00:00:00:01");
        var b = MacAddress.Parse("02:00:00:00:00:02");
        Assert.True(a.CompareTo(b) < 0);
        Assert.Equal(a, new MacAddress(0x020000000001));
        Assert.NotEqual(a, b);
        Assert.Equal(a.GetHashCode(), new MacAddress(a.Value).GetHashCode());
    }
}
