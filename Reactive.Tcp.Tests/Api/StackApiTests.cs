using System.Reactive.Linq;
using System.Text;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Api;

public class StackApiTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Connect_to_a_port_nobody_listens_on_fails_with_refused()
    {
        using var h = new TwoStackHarness();
        Exception? error = null;
        h.Client.Connect(TwoStackHarness.ServerAddress, 81).Subscribe(_ => { }, e => error = e);
        h.Scheduler.AdvanceBy(Second.Ticks);
        var tcp = Assert.IsType<TcpException>(error);
        Assert.Equal(TcpError.Refused, tcp.Error);
        Assert.Equal(0, h.Client.ConnectionCount);
        Assert.Equal(0, h.Server.ConnectionCount);
        Assert.Equal(1, h.Server.Drops[DropReason.NoConnection]);
    }

    [Fact]
    public void Connect_into_silence_times_out_after_the_syn_retries()
    {
        using var h = new TwoStackHarness(new VirtualWireOptions { AToB = new Impairments { Loss = 1.0 }, BToA = new Impairments { Loss = 1.0 } },
            TcpConfig.Default with { MaxSynRetransmissions = 2 });
        Exception? error = null;
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(_ => { }, e => error = e);
        h.Scheduler.AdvanceBy((long)(6.5 * Second.Ticks));
        Assert.Null(error); // 1 s + 2 s + 4 s = 7 s before giving up
        h.Scheduler.AdvanceBy(Second.Ticks);
        Assert.Equal(TcpError.TimedOut, Assert.IsType<TcpException>(error).Error);
    }

    [Fact]
    public void Listening_twice_on_one_port_fails_and_disposing_frees_it()
    {
        using var h = new TwoStackHarness();
        var first = h.Server.Listen(80).Subscribe();
        Exception? error = null;
        h.Server.Listen(80).Subscribe(_ => { }, e => error = e);
        Assert.IsType<InvalidOperationException>(error);
        first.Dispose();
        error = null;
        using var again = h.Server.Listen(80).Subscribe(_ => { }, e => error = e);
        Assert.Null(error);
    }

    [Fact]
    public void Ephemeral_ports_never_collide_with_listeners_or_live_connections()
    {
        var ports = new PortAllocator(50000, 50009, seed: 3);
        Assert.True(ports.TryClaim(50004, exclusive: true));
        var taken = new HashSet<ushort>();
        for (int i = 0; i < 9; i++) Assert.True(taken.Add(ports.AllocateEphemeral()));
        Assert.DoesNotContain((ushort)50004, taken);
        Assert.Throws<InvalidOperationException>(() => ports.AllocateEphemeral());
        ports.Release(50007);
        Assert.Equal(50007, ports.AllocateEphemeral());
    }

    [Fact]
    public void Send_waits_while_the_send_buffer_is_full_and_resumes_when_the_peer_reads()
    {
        var config = TcpConfig.Default with { SendBufferSize = 4096, ReceiveBufferSize = 4096, WindowScaling = false };
        using var h = new TwoStackHarness(config: config);
        TcpConnection? server = null, client = null;
        h.Server.Listen(80).Subscribe(c => server = c);
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(c => client = c);
        h.Scheduler.AdvanceBy(Second.Ticks);
        Assert.NotNull(server);

        // Nobody reads on the server: 4 KiB fill its receive buffer, 4 KiB our send buffer, the rest must wait.
        bool sent = false;
        client!.Send(new byte[20_000]).Subscribe(_ => sent = true);
        h.Scheduler.AdvanceBy(10 * Second.Ticks);
        Assert.False(sent);

        var received = 0;
        server!.Received.Subscribe(m => received += m.Length);
        h.Scheduler.AdvanceBy(30 * Second.Ticks);
        Assert.True(sent);
        Assert.True(received >= 20_000 - 4096, $"received {received}");
    }

    [Fact]
    public async Task AsStream_reads_and_writes_with_ordinary_stream_code()
    {
        using var h = new TwoStackHarness();
        TcpConnection? server = null, client = null;
        h.Server.Listen(7).Subscribe(c => server = c);
        h.Client.Connect(TwoStackHarness.ServerAddress, 7).Subscribe(c => client = c);
        h.Scheduler.AdvanceBy(Second.Ticks);

        var clientStream = client!.AsStream();
        var serverStream = server!.AsStream();
        var writeTask = clientStream.WriteAsync(Encoding.ASCII.GetBytes("ping over a stream\n")).AsTask();
        var reader = new StreamReader(serverStream, Encoding.ASCII);
        var lineTask = reader.ReadLineAsync();
        // Virtual time only moves when we move it; give the continuations real time to post.
        for (int i = 0; i < 200 && !lineTask.IsCompleted; i++)
        {
            h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
            await Task.Delay(1);
        }
        Assert.Equal("ping over a stream", await lineTask);
        await writeTask;
    }

    [Fact]
    public void Malformed_frames_are_counted_and_the_stack_keeps_working()
    {
        var scheduler = new TestScheduler();
        using var link = new CapturingLink(scheduler);
        using var stack = new TcpStack(link, new TcpStackOptions { Address = TwoStackHarness.ServerAddress }, scheduler);
        var rng = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            var junk = new byte[rng.Next(0, 80)];
            rng.NextBytes(junk);
            if (junk.Length > 0) junk[0] = 0x45;
            link.Inject(junk);
        }
        Assert.True(stack.Drops.Total >= 2000, stack.Drops.ToString());
        Assert.Null(stack.PipelineError);
        Assert.Equal(0, stack.Counters.PipelineFaults);

        // Still answers a ping afterwards.
        link.Inject(PacketBuilder.BuildIcmpEchoRequest(TwoStackHarness.ClientAddress, TwoStackHarness.ServerAddress, 7, 1, "abc"u8));
        Assert.Equal(1, stack.Counters.EchoReplies);
        var reply = link.SentPackets[^1].Packet;
        Assert.Equal(DropReason.None, PacketParser.Parse(reply, out var parsed));
        Assert.Equal(IcmpType.EchoReply, parsed.Icmp.Type);
        Assert.Equal(TwoStackHarness.ClientAddress, parsed.Ip.Destination);
    }

    [Fact]
    public void Abort_resets_the_peer_whose_received_stream_fails_with_reset()
    {
        using var h = new TwoStackHarness();
        TcpConnection? server = null, client = null;
        Exception? serverError = null;
        h.Server.Listen(80).Subscribe(c => { server = c; c.Received.Subscribe(_ => { }, e => serverError = e); });
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(c => client = c);
        h.Scheduler.AdvanceBy(Second.Ticks);
        client!.Abort();
        h.Scheduler.AdvanceBy(Second.Ticks);
        Assert.Equal(TcpError.Reset, Assert.IsType<TcpException>(serverError).Error);
        Assert.Equal(TcpState.Closed, server!.State);
        Assert.Equal(TcpError.Aborted, client.Error);
        Assert.Equal(0, h.Server.ConnectionCount);
    }
}

public class UdpTests
{
    [Fact]
    public void Udp_datagrams_cross_the_wire_and_unbound_ports_count_drops()
    {
        using var h = new TwoStackHarness();
        var got = new List<UdpMessage>();
        using var bound = h.Server.ReceiveUdp(6667).Subscribe(m =>
        {
            got.Add(m);
            h.Server.SendUdp(m.Reply(System.Text.Encoding.ASCII.GetBytes("You said: " + System.Text.Encoding.ASCII.GetString(m.Data.Span))));
        });
        var replies = new List<string>();
        using var clientBound = h.Client.ReceiveUdp(5000).Subscribe(m => replies.Add(System.Text.Encoding.ASCII.GetString(m.Data.Span)));
        h.Client.SendUdp(new UdpMessage(TwoStackHarness.ServerAddress, 6667, 5000, "hi"u8.ToArray()));
        h.Client.SendUdp(new UdpMessage(TwoStackHarness.ServerAddress, 6668, 5000, "nobody"u8.ToArray()));
        h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
        var m = Assert.Single(got);
        Assert.Equal(TwoStackHarness.ClientAddress, m.RemoteAddress);
        Assert.Equal(5000, m.RemotePort);
        Assert.Equal(new[] { "You said: hi" }, replies);
        Assert.Equal(1, h.Server.Drops[DropReason.NoConnection]);
    }
}
