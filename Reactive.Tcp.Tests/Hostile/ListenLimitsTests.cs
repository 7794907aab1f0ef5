using Reactive.Tcp.Api;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>
/// The stack's limits on what others can make it hold: the SYN queue per listener and stack-wide,
/// SYN cookies when it is full, the connection limit (passive and active), and stateless answers
/// to segments for no connection.
/// </summary>
public class ListenLimitsTests(ITestOutputHelper output)
{
    private static IPv4Address Spoofed(int i) => new(0xCB007100u | (uint)(1 + i % 254)); // 203.0.113.0/24

    private static void Flood(HostileNet net, ushort port, int count, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < count; i++) net.InjectSyn(Spoofed(i), (ushort)rng.Next(1024, 65535), port, (uint)rng.Next());
    }

    [Fact]
    public void A_full_backlog_without_cookies_drops_further_SYNs_and_frees_its_places_when_they_time_out()
    {
        using var net = new HostileNet(serverLimits: StackLimits.Default with { SynCookies = false });
        net.ListenEcho(80, backlog: 4);
        Flood(net, 80, 10, seed: 1);

        Assert.Equal(4, net.Server.ConnectionCount);
        Assert.Equal(4, net.Server.HalfOpenCount);
        Assert.Equal(6, net.Server.Drops[DropReason.SynQueueFull]);
        Assert.Equal(0, net.Server.Counters.SynCookiesSent);

        Assert.True(net.RunUntil(() => net.Server.ConnectionCount == 0, TimeSpan.FromMinutes(5)), "half-open blocks never timed out");
        Assert.Equal(0, net.Server.HalfOpenCount);
        var flow = net.ConnectEcho(80, new byte[5000]);
        Assert.True(net.RunUntil(() => flow.Echoed, TimeSpan.FromSeconds(10)), "a SYN after the queue drained did not get through");
        net.AssertNoFaults();
    }

    [Fact]
    public void A_client_that_finds_the_backlog_full_connects_through_a_SYN_cookie_and_its_data_flows()
    {
        using var net = new HostileNet();
        net.ListenEcho(80, backlog: 8);
        Flood(net, 80, 100, seed: 2);
        Assert.Equal(8, net.Server.HalfOpenCount);
        Assert.Equal(92, net.Server.Counters.SynCookiesSent);
        Assert.Equal(8, net.Server.ConnectionCount);

        var data = new byte[200_000];
        new Random(3).NextBytes(data);
        var flow = net.ConnectEcho(80, data);
        Assert.True(net.RunUntil(() => flow.Echoed, TimeSpan.FromSeconds(30)), $"echo did not complete: {flow.ClientError?.Message}");
        Assert.Null(flow.Corruption());
        Assert.Equal(93, net.Server.Counters.SynCookiesSent);
        Assert.Equal(1, net.Server.Counters.SynCookiesAccepted);
        Assert.Equal(0, net.Server.Counters.SynCookiesRejected);
        Assert.True(net.Server.HalfOpenCount <= 8);
        net.AssertNoFaults();
    }

    [Fact]
    public void A_cookie_connection_keeps_window_scale_SACK_and_timestamps_through_the_timestamp_echo()
    {
        using var net = new HostileNet();
        net.ListenEcho(80, backlog: 0);
        var data = new byte[500_000];
        new Random(10).NextBytes(data);
        var flow = net.ConnectEcho(80, data);
        net.Run(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, net.Server.Counters.SynCookiesAccepted);
        var client = BlindAttackTests.TcbOf(flow.ClientSide!);
        var server = ServerTcb(net, client.Key);

        Assert.True(server.TimestampsEnabled && client.TimestampsEnabled);
        Assert.True(server.SackEnabled && client.SackEnabled);
        Assert.True(server.SndWndShift > 0 && server.RcvWndShift > 0);
        Assert.Equal(client.RcvWndShift, server.SndWndShift);
        Assert.Equal(server.RcvWndShift, client.SndWndShift);
        Assert.True(net.RunUntil(() => flow.Echoed, TimeSpan.FromSeconds(30)));
        Assert.Null(flow.Corruption());
        net.AssertNoFaults();
    }

    private static Tcb ServerTcb(HostileNet net, ConnectionKey clientKey)
    {
        return net.Server.TcbOf(new ConnectionKey(clientKey.RemoteAddress, clientKey.RemotePort, clientKey.LocalAddress, clientKey.LocalPort))!;
    }

    [Fact]
    public void The_stack_wide_half_open_limit_holds_across_listeners()
    {
        using var net = new HostileNet(serverLimits: StackLimits.Default with { MaxHalfOpen = 5, SynCookies = false });
        net.ListenEcho(80, backlog: 10);
        net.ListenEcho(81, backlog: 10);
        Flood(net, 80, 4, seed: 4);
        Flood(net, 81, 4, seed: 5);
        Assert.Equal(5, net.Server.HalfOpenCount);
        Assert.Equal(3, net.Server.Drops[DropReason.SynQueueFull]);
        net.AssertNoFaults();
    }

    [Fact]
    public void At_the_connection_limit_new_SYNs_are_refused_with_a_reset_and_established_connections_are_unharmed()
    {
        using var net = new HostileNet(serverLimits: StackLimits.Default with { MaxConnections = 3 });
        net.ListenEcho(80);
        var data = new byte[300_000];
        new Random(6).NextBytes(data);
        var established = Enumerable.Range(0, 3).Select(_ => net.ConnectEcho(80, data)).ToList();
        net.Run(TimeSpan.FromMilliseconds(10));
        Assert.Equal(3, net.Server.ConnectionCount);

        long resetsBefore = net.Server.Counters.StatelessResets;
        Flood(net, 80, 50, seed: 7);
        var refused = net.ConnectEcho(80, new byte[10]);
        net.Run(TimeSpan.FromMilliseconds(5));
        // 50 spoofed SYNs and the real client's: each answered with a RST, none dropped silently.
        Assert.Equal(51, net.Server.Drops[DropReason.ConnectionLimit]);
        Assert.Equal(51, net.Server.Counters.SynsRefusedAtLimit);
        Assert.Equal(51, net.Server.Counters.StatelessResets - resetsBefore);
        Assert.Null(refused.ClientSide);
        Assert.Equal(TcpError.Refused, Assert.IsType<TcpException>(refused.ClientError).Error);
        Assert.Equal(3, net.Server.ConnectionCount);
        Assert.Equal(0, net.Server.Counters.SynCookiesSent);

        Assert.True(net.RunUntil(() => established.All(f => f.Echoed), TimeSpan.FromSeconds(30)), "established transfers did not complete at the limit");
        Assert.All(established, f => Assert.Null(f.Corruption()));
        // Once they have closed there is room again (TIME-WAIT does not count against the limit).
        Assert.True(net.RunUntil(() => net.Server.ConnectionCount == net.Server.TimeWaitCount, TimeSpan.FromSeconds(30)));
        var later = net.ConnectEcho(80, new byte[10]);
        Assert.True(net.RunUntil(() => later.Echoed, TimeSpan.FromSeconds(10)), $"no connection once below the limit again: {later.ClientError?.Message}");
        net.AssertNoFaults();
    }

    [Fact]
    public void Connect_at_the_connection_limit_fails_with_a_clear_TcpException_and_gives_the_port_back()
    {
        using var net = new HostileNet(clientLimits: StackLimits.Default with { MaxConnections = 1 });
        net.ListenEcho(80);
        var first = net.ConnectEcho(80, new byte[1_000_000]);
        net.Run(TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, net.Client.ConnectionCount);

        Exception? error = null;
        using var _ = net.Client.Connect(HostileNet.ServerAddress, 80).Subscribe(_ => { }, e => error = e);
        net.Run(TimeSpan.FromMilliseconds(1));
        var tcp = Assert.IsType<TcpException>(error);
        Assert.Contains("MaxConnections", tcp.Message);
        Assert.Equal(1, net.Client.Counters.ConnectsRefusedAtLimit);
        Assert.Equal(1, net.Client.ConnectionCount);

        Assert.True(net.RunUntil(() => first.Echoed, TimeSpan.FromSeconds(30)));
        Assert.True(net.RunUntil(() => net.Client.ConnectionCount == net.Client.TimeWaitCount, TimeSpan.FromSeconds(30)), "the first connection never closed");
        // The first connection's TIME-WAIT does not keep the next one out.
        Assert.Equal(1, net.Client.TimeWaitCount);
        var later = net.ConnectEcho(80, new byte[1000]);
        Assert.True(net.RunUntil(() => later.Echoed, TimeSpan.FromSeconds(10)), "no connection possible once below the limit again");
        net.AssertNoFaults();
    }

    [Fact]
    public void Segments_for_no_connection_are_answered_without_creating_a_block()
    {
        using var net = new HostileNet();
        long closedBefore = net.Server.Counters.ConnectionsClosed;
        var rng = new Random(8);
        const int Count = 10_000;
        int maxBlocks = 0;
        for (int i = 0; i < Count; i++)
        {
            var segment = new TcpSegment
            {
                SourcePort = (ushort)rng.Next(1024, 65535),
                DestinationPort = (ushort)rng.Next(1, 1024),
                Seq = new SeqNum((uint)rng.Next()),
                Ack = new SeqNum((uint)rng.Next()),
                Flags = (i % 4) switch { 0 => TcpFlags.Syn, 1 => TcpFlags.Ack, 2 => TcpFlags.Ack | TcpFlags.Psh, _ => TcpFlags.Rst },
                Payload = i % 4 == 2 ? new byte[10] : default,
            };
            net.ServerLink.Inject(PacketBuilder.BuildTcp(Spoofed(i), HostileNet.ServerAddress, segment));
            maxBlocks = Math.Max(maxBlocks, net.Server.ConnectionCount);
        }
        Assert.Equal(0, maxBlocks);
        Assert.Equal(closedBefore, net.Server.Counters.ConnectionsClosed);
        Assert.Equal(Count, net.Server.Drops[DropReason.NoConnection]);
        Assert.Equal(Count * 3 / 4, net.Server.Counters.StatelessResets);
        net.AssertNoFaults();
    }

    /// <summary>A link that only counts what the stack sends, releasing pooled packets at once.</summary>
    private sealed class CountingLink : Reactive.Tcp.Links.ILink
    {
        public System.Reactive.Subjects.Subject<ReadOnlyMemory<byte>> In { get; } = new();
        public IObservable<ReadOnlyMemory<byte>> Inbound => In;
        public int Mtu => 1500;
        public long Sent;
        public void Send(ReadOnlyMemory<byte> packet) => Sent++;
        public void Send(PooledPacket packet) { Sent++; packet.Release(); }
        public void Dispose() => In.OnCompleted();
    }

    [Fact]
    public void A_flood_of_stray_segments_and_spoofed_SYNs_beyond_the_backlog_allocates_nothing_per_packet()
    {
        var scheduler = new Microsoft.Reactive.Testing.TestScheduler();
        using var link = new CountingLink();
        using var stack = new TcpStack(link, new TcpStackOptions { Address = HostileNet.ServerAddress, Seed = 1, Limits = StackLimits.Default with { ListenBacklog = 0 } }, scheduler);
        using var listening = stack.Listen(80).Subscribe(_ => { });
        scheduler.AdvanceBy(1);
        var rng = new Random(11);
        var frames = Enumerable.Range(0, 1000).Select(i => (ReadOnlyMemory<byte>)PacketBuilder.BuildTcp(Spoofed(i), HostileNet.ServerAddress, new TcpSegment
        {
            SourcePort = (ushort)rng.Next(1024, 65535),
            DestinationPort = (ushort)(i % 2 == 0 ? 80 : 81),
            Seq = new SeqNum((uint)rng.Next()),
            Ack = new SeqNum((uint)rng.Next()),
            Flags = i % 4 == 0 ? TcpFlags.Syn : TcpFlags.Ack,
            Window = 65535,
            Options = new TcpOptions { Mss = 1460 },
        })).ToArray();
        foreach (var f in frames) link.In.OnNext(f); // warm up: pools, JIT, the cookie key
        const int Rounds = 100;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < Rounds; r++)
            foreach (var f in frames) link.In.OnNext(f);
        long perPacket = (GC.GetAllocatedBytesForCurrentThread() - before) / (Rounds * frames.Length);

        output.WriteLine($"{Rounds * frames.Length} stray segments and spoofed SYNs (backlog 0): {perPacket} bytes allocated per packet; drops: {stack.Drops}; cookies {stack.Counters.SynCookiesSent}, stateless RSTs {stack.Counters.StatelessResets}");
        Assert.Equal(0, stack.ConnectionCount);
        Assert.Equal((Rounds + 1) * frames.Length, link.Sent); // each one answered: a cookie SYN-ACK or a RST
        Assert.True(perPacket < 16, $"{perPacket} bytes allocated per stray packet");
        Assert.Equal(0, stack.Counters.PipelineFaults);
    }
}
