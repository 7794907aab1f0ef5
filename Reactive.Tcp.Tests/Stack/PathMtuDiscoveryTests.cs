using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>
/// End to end over a <see cref="VirtualWire"/> with a 1500-byte MTU whose path holds a router
/// with a smaller next hop (<see cref="BottleneckRouterLink"/>): path MTU discovery (RFC 1191).
/// </summary>
public class PathMtuDiscoveryTests
{
    private static readonly IPv4Address Router = IPv4Address.Parse("203.0.113.1");

    private static TwoStackHarness Harness(int pathMtu, out Func<BottleneckRouterLink> serverRouter, out Func<BottleneckRouterLink> clientRouter)
    {
        var h = new TwoStackHarness(
            wrapServer: (end, scheduler) => new BottleneckRouterLink(end, pathMtu, Router, scheduler),
            wrapClient: (end, scheduler) => new BottleneckRouterLink(end, pathMtu, Router, scheduler));
        serverRouter = () => (BottleneckRouterLink)h.ServerLink;
        clientRouter = () => (BottleneckRouterLink)h.ClientLink;
        return h;
    }

    [Fact]
    public void Transfer_through_a_1280_byte_path_mtu_is_byte_exact_both_ways()
    {
        using var h = Harness(1280, out var serverRouter, out var clientRouter);
        var (server, client) = h.Transfer(300_000, 200_000, seed: 1191);

        Assert.Null(server.Error);
        Assert.Null(client.Error);
        Assert.Equal(client.SentHash, server.ReceivedHash);
        Assert.Equal(server.SentHash, client.ReceivedHash);
        // Each side lost only its first oversized flight to the bottleneck, then sent segments that fit.
        Assert.InRange(serverRouter().TooBigDropped, 1, 20);
        Assert.InRange(clientRouter().TooBigDropped, 1, 20);
        Assert.True(h.Server.Counters.PathMtuUpdates >= 1);
        Assert.Equal(0, h.Server.Drops.Total);
        Assert.Equal(0, h.Client.Drops.Total);
    }

    [Fact]
    public void Lost_segments_are_resent_at_the_smaller_size_without_waiting_for_the_retransmission_timer()
    {
        using var h = Harness(1280, out var serverRouter, out _);
        var payload = new byte[100_000];
        new Random(5).NextBytes(payload);
        var received = new MemoryStream();
        long doneAt = -1;
        h.Server.Listen(80).Subscribe(c => c.Send(payload).Subscribe());
        h.Scheduler.AdvanceBy(1);
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(c => c.Received.Subscribe(m =>
        {
            received.Write(m.Span);
            if (received.Length == payload.Length) doneAt = h.Scheduler.Clock;
        }));
        long start = h.Scheduler.Clock;
        h.Scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks);

        Assert.Equal(payload, received.ToArray());
        Assert.True(serverRouter().TooBigDropped > 0);
        Assert.True(h.Server.Counters.Retransmissions > 0);
        // The instant wire gives a tiny RTT, so the timer would have waited the minimum RTO (200 ms).
        Assert.True(doneAt - start < TcpConfig.Default.MinRto.Ticks, $"done after {TimeSpan.FromTicks(doneAt - start).TotalMilliseconds} ms");
    }

    [Fact]
    public void Without_a_bottleneck_no_icmp_is_involved()
    {
        using var h = new TwoStackHarness();
        var (server, client) = h.Transfer(50_000, 50_000, seed: 3);
        Assert.Equal(client.SentHash, server.ReceivedHash);
        Assert.Equal(0, h.Server.Counters.PathMtuUpdates);
        Assert.Equal(0, h.Client.Counters.IcmpErrorsReceived);
    }

    [Fact]
    public void A_udp_datagram_larger_than_the_link_mtu_is_fragmented_and_reassembled()
    {
        using var h = new TwoStackHarness();
        var got = new List<UdpMessage>();
        using var bound = h.Server.ReceiveUdp(9000).Subscribe(got.Add);
        var data = new byte[3000];
        new Random(9).NextBytes(data);
        h.Client.SendUdp(new UdpMessage(TwoStackHarness.ServerAddress, 9000, 5000, data));
        h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);

        Assert.Equal(data, Assert.Single(got).Data.ToArray());
        Assert.Equal(3, h.Wire.AToBCounters.Sent + h.Wire.BToACounters.Sent);
        Assert.Equal(1, h.Server.Counters.DatagramsReassembled);
    }

    [Fact]
    public void Udp_fragments_reordered_and_refragmented_on_the_way_still_arrive_whole()
    {
        using var h = new TwoStackHarness(wrapServer: (end, _) => new FragmentingLink(end, 576, reverse: true));
        var got = new List<UdpMessage>();
        using var bound = h.Server.ReceiveUdp(9000).Subscribe(got.Add);
        var data = new byte[20_000];
        new Random(10).NextBytes(data);
        h.Client.SendUdp(new UdpMessage(TwoStackHarness.ServerAddress, 9000, 5000, data));
        h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
        Assert.Equal(data, Assert.Single(got).Data.ToArray());
    }

    [Fact]
    public void Tcp_segments_fragmented_and_reversed_on_the_way_transfer_byte_exact()
    {
        using var h = new TwoStackHarness(
            wrapServer: (end, _) => new FragmentingLink(end, 576, reverse: true, ignoreDontFragment: true),
            wrapClient: (end, _) => new FragmentingLink(end, 300, ignoreDontFragment: true));
        var (server, client) = h.Transfer(200_000, 100_000, seed: 815);
        Assert.Equal(client.SentHash, server.ReceivedHash);
        Assert.Equal(server.SentHash, client.ReceivedHash);
        Assert.True(h.Server.Counters.DatagramsReassembled > 50);
        Assert.True(h.Client.Counters.DatagramsReassembled > 50);
        Assert.Equal(0, h.Server.Drops.Total);
        Assert.Equal(0, h.Client.Drops.Total);
    }
}
