using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Interfaces;

public class EthernetAddressFilterTests
{
    private static readonly MacAddress Ours = MacAddress.Parse("02:00:00:00:00:02");

    [Fact]
    public void Takes_our_address_and_broadcast_and_drops_other_stations()
    {
        var filter = new EthernetAddressFilter(Ours);
        Assert.Equal(DropReason.None, filter.Check(Ours));
        Assert.Equal(DropReason.None, filter.Check(MacAddress.Broadcast));
        Assert.Equal(DropReason.NotForOurMac, filter.Check(MacAddress.Parse("02:00:00:00:00:03")));
        Assert.Equal(DropReason.NotForOurMac, filter.Check(MacAddress.Parse("01:00:5e:00:00:fb")));
    }

    [Fact]
    public void Takes_multicast_groups_only_once_joined()
    {
        var filter = new EthernetAddressFilter(Ours);
        var mdns = MacAddress.FromIPv4Multicast(IPv4Address.Parse("224.0.0.251"));
        Assert.True(filter.Join(mdns));
        Assert.False(filter.Join(mdns));
        Assert.Equal(DropReason.None, filter.Check(mdns));
        Assert.True(filter.Leave(mdns));
        Assert.Equal(DropReason.NotForOurMac, filter.Check(mdns));
        Assert.Throws<ArgumentException>(() => filter.Join(Ours));
    }

    [Fact]
    public void Promiscuous_takes_everything()
    {
        var filter = new EthernetAddressFilter(Ours) { Promiscuous = true };
        Assert.Equal(DropReason.None, filter.Check(MacAddress.Parse("02:00:00:00:00:03")));
    }
}
