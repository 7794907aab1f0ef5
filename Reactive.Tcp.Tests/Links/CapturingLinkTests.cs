using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Xunit;
using static Reactive.Tcp.Tests.Links.PacketHelpers;

namespace Reactive.Tcp.Tests.Links;

public sealed class CapturingLinkTests
{
    [Fact]
    public void Inject_delivers_synchronously_to_every_subscriber()
    {
        var link = new CapturingLink(new TestScheduler(), mtu: 576);
        var first = new List<int>();
        var second = new List<int>();
        link.Inbound.Subscribe(p => first.Add(IdOf(p)));
        link.Inbound.Subscribe(p => second.Add(IdOf(p)));

        link.Inject(Packet(4));

        Assert.Equal([4], first);
        Assert.Equal([4], second);
        Assert.Equal(576, link.Mtu);
    }

    [Fact]
    public void Sent_packets_are_published_and_kept_with_their_virtual_send_time()
    {
        var scheduler = new TestScheduler();
        var link = new CapturingLink(scheduler);
        var published = new List<int>();
        link.Sent.Subscribe(p => published.Add(IdOf(p)));
        var buffer = Packet(1);

        scheduler.Schedule(TimeSpan.FromMilliseconds(3), () => link.Send(buffer));
        scheduler.Schedule(TimeSpan.FromMilliseconds(8), () => link.Send(Packet(2)));
        scheduler.AdvanceTo(Ms(10));
        buffer[0] = 0xff; // the history is a copy, whatever the sender does afterwards

        var history = link.SentPackets;
        Assert.Equal([1, 2], published);
        Assert.Equal(2, history.Count);
        Assert.Equal(Ms(3), history[0].At.UtcTicks);
        Assert.Equal(Packet(1), history[0].Packet);
        Assert.Equal(Ms(8), history[1].At.UtcTicks);
        Assert.Equal(Packet(2), history[1].Packet);

        link.ClearSent();
        Assert.Empty(link.SentPackets);
    }

    [Fact]
    public void A_stack_replying_from_its_inbound_handler_is_captured()
    {
        var scheduler = new TestScheduler();
        using var link = new CapturingLink(scheduler);
        link.Inbound.Subscribe(p => link.Send(Packet(IdOf(p) * 2)));

        link.Inject(Packet(21));

        Assert.Equal(42, IdOf(Assert.Single(link.SentPackets).Packet));
    }

    [Fact]
    public void Dispose_completes_both_streams_and_ignores_later_traffic()
    {
        var link = new CapturingLink(new TestScheduler());
        var inboundDone = false;
        var sentDone = false;
        var injected = 0;
        link.Inbound.Subscribe(_ => injected++, () => inboundDone = true);
        link.Sent.Subscribe(_ => { }, () => sentDone = true);

        link.Dispose();
        link.Inject(Packet(1));
        link.Send(Packet(2));

        Assert.True(inboundDone);
        Assert.True(sentDone);
        Assert.Equal(0, injected);
        Assert.Empty(link.SentPackets);
    }
}
