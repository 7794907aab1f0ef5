using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// The TUN link under load: the device's queue length, drops at a full queue counted by the
/// kernel and read back through the link, the writer thread handing every queued packet to the
/// kernel (also when the link is disposed right after), and a multi-queue device spreading
/// connections over one stack per queue.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public class TunLoadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [LinuxRootFact]
    public void The_queue_length_is_set_and_drops_at_a_full_queue_are_counted()
    {
        using var ns = NetworkNamespace.Create();
        using var link = ns.OpenTun(new TunLinkOptions { Name = "rxt0", KernelAddress = TunInterop.KernelAddress, StackAddress = TunInterop.StackAddress, TxQueueLength = 16 });
        Assert.Contains("qlen 16", ns.Run("ip", "link", "show", "rxt0").EnsureSuccess().StandardOutput);

        // The reader is held inside its first delivery, so the kernel's datagrams pile up in the queue.
        using var release = new ManualResetEventSlim();
        using var first = new ManualResetEventSlim();
        int delivered = 0;
        using var subscription = link.Inbound.Subscribe(_ =>
        {
            Interlocked.Increment(ref delivered);
            first.Set();
            release.Wait();
        });
        using var socket = ns.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        var target = TunInterop.Endpoint(TunInterop.StackAddress, 9);
        const int sent = 200;
        socket.SendTo(new byte[100], target);
        Assert.True(first.Wait(Patience), "the first datagram never reached the reader");
        for (int i = 1; i < sent; i++) socket.SendTo(new byte[100], target);

        var held = link.ReadDeviceCounters();
        release.Set();
        Assert.NotNull(held);
        output.WriteLine($"while the reader was held: {held}");
        Assert.True(held!.TxDropped > 0, $"{sent} datagrams into a queue of 16 and none dropped: {held}");
        // Whatever was queued is delivered once the reader goes on; the rest was dropped, and the kernel says so.
        var watch = Stopwatch.StartNew();
        while (Volatile.Read(ref delivered) + held.TxDropped < sent && watch.Elapsed < Patience) Thread.Sleep(10);
        var after = link.ReadDeviceCounters()!;
        output.WriteLine($"after: {after}; delivered {delivered}");
        Assert.Equal(after.TxPackets, Volatile.Read(ref delivered));
        Assert.Equal(sent, after.TxPackets + after.TxDropped);
    }

    [LinuxRootFact]
    public void Every_packet_queued_for_the_writer_reaches_the_kernel_also_when_the_link_is_disposed_right_after()
    {
        using var ns = NetworkNamespace.Create();
        var link = ns.OpenTun(new TunLinkOptions { Name = "rxt0", KernelAddress = TunInterop.KernelAddress, StackAddress = TunInterop.StackAddress });
        using var socket = ns.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 * 1024 * 1024 });
        socket.Bind(TunInterop.Endpoint(TunInterop.KernelAddress, 5555));
        const int count = 2000;
        var pooled = new List<PooledPacket>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var payload = BitConverter.GetBytes(i);
                // Half as arrays, half pooled (one reference kept here, to see the link give its own back).
                if (i % 2 == 0)
                {
                    link.Send(PacketBuilder.BuildUdp(TunInterop.StackAddress, TunInterop.KernelAddress, 4444, 5555, payload));
                }
                else
                {
                    var packet = PooledPacket.Rent(PacketBuilder.GetUdpPacketLength(payload.Length));
                    PacketBuilder.WriteUdp(packet.Span, TunInterop.StackAddress, TunInterop.KernelAddress, 4444, 5555, payload);
                    pooled.Add(packet.AddRef());
                    link.Send(packet);
                }
            }
            link.Dispose();
            output.WriteLine($"written {link.PacketsSent} in {link.WriteBatches} batches; write errors {link.WriteErrors}, queue drops {link.WriteQueueDrops}");
            Assert.Equal(count, link.PacketsSent);
            Assert.Equal(0, link.WriteErrors + link.WriteQueueDrops);
            Assert.InRange(link.WriteBatches, 1, count);
            Assert.All(pooled, p => Assert.Equal(1, p.References));

            var seen = new bool[count];
            var buffer = new byte[64];
            socket.ReceiveTimeout = 5000;
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(4, socket.Receive(buffer));
                seen[BitConverter.ToInt32(buffer)] = true;
            }
            Assert.All(seen, Assert.True);
        }
        finally
        {
            link.Dispose();
            pooled.ForEach(p => p.Release());
        }
    }

    [LinuxRootFact]
    public async Task A_multi_queue_device_spreads_kernel_connections_over_one_stack_per_queue()
    {
        using var ns = NetworkNamespace.Create();
        var links = ns.OpenTunQueues(new TunLinkOptions { Name = "rxt0", KernelAddress = TunInterop.KernelAddress, StackAddress = TunInterop.StackAddress }, 2);
        var schedulers = links.Select(_ => new RealTimeScheduler()).ToArray();
        var stacks = links.Select((l, i) => new TcpStack(l, new TcpStackOptions { Address = TunInterop.StackAddress }, schedulers[i])).ToArray();
        var accepted = new int[stacks.Length];
        // The same echo service on every stack: each connection must be served whole by one of them.
        var listeners = stacks.Select((s, i) => s.Listen(7).Subscribe(c =>
        {
            Interlocked.Increment(ref accepted[i]);
            c.Received.Subscribe(m => c.Send(m.ToArray()).Subscribe(_ => { }, _ => { }), _ => { }, c.Close);
        })).ToArray();
        try
        {
            Assert.Equal(links[0].Name, links[1].Name);
            Assert.Equal([0, 1], links.Select(l => l.Queue));
            Assert.Contains("numqueues 2", ns.Run("ip", "-d", "link", "show", "rxt0").EnsureSuccess().StandardOutput);

            const int connections = 200;
            var exchanges = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
            {
                using var socket = ns.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                await socket.ConnectAsync(TunInterop.Endpoint(TunInterop.StackAddress, 7));
                var message = BitConverter.GetBytes(i).Concat(new byte[2000]).ToArray();
                await socket.SendAsync(message);
                socket.Shutdown(SocketShutdown.Send);
                var echoed = new MemoryStream();
                var buffer = new byte[4096];
                int n;
                while ((n = await socket.ReceiveAsync(buffer)) > 0) echoed.Write(buffer, 0, n);
                Assert.Equal(message, echoed.ToArray());
            })).ToArray();
            await Task.WhenAll(exchanges).WaitAsync(TimeSpan.FromMinutes(2));

            output.WriteLine($"accepted per queue: {string.Join(", ", accepted)}; " + string.Join("; ", links.Select(l => $"q{l.Queue}: rx {l.PacketsReceived}, tx {l.PacketsSent}")));
            output.WriteLine(string.Join("; ", stacks.Select(s => $"{s.Counters}, drops {s.Drops}")));
            // Each echo came back whole (above), so every segment of a connection reached the stack that
            // accepted it: a stray one would have met a stack without the connection, and a reset.
            Assert.Equal(connections, accepted.Sum());
            // The kernel spreads flows by hash: 200 connections all on one queue would mean no steering at all.
            Assert.All(accepted, a => Assert.True(a > 0, $"a queue got no connection: {string.Join(", ", accepted)}"));
        }
        finally
        {
            foreach (var l in listeners) l.Dispose();
            foreach (var s in stacks) s.Dispose();
            foreach (var l in links) l.Dispose();
            foreach (var s in schedulers) s.Dispose();
        }
    }
}
