using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Soak;

/// <summary>
/// A stack whose link fails (its inbound errors, as a TUN link does when its device is deleted):
/// every open connection must end with an error the application sees, and the stack must be left
/// with no connections, ports or pending work. Virtual-time twin of the TUN test in PeerFaultTests.
/// </summary>
public sealed class LinkFailureTests
{
    /// <summary>A link whose inbound can be failed on demand.</summary>
    private sealed class FailingLink(ILink inner) : ILink
    {
        private readonly Subject<ReadOnlyMemory<byte>> _failure = new();
        public IObservable<ReadOnlyMemory<byte>> Inbound => inner.Inbound.Merge(_failure);
        public int Mtu => inner.Mtu;
        public void Fail(Exception error) => _failure.OnError(error);
        public void Send(ReadOnlyMemory<byte> packet) => inner.Send(packet);
        public void Send(PooledPacket packet) => inner.Send(packet);
        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public void Connections_end_with_an_error_when_the_link_fails()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, VirtualWireOptions.Symmetric(new Impairments { Delay = TimeSpan.FromMilliseconds(5) }));
        var failing = new FailingLink(wire.EndB);
        using var server = new TcpStack(wire.EndA, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.1"), Tcp = TcpConfig.Default with { KeepAliveIdle = TimeSpan.FromMinutes(1), KeepAliveInterval = TimeSpan.FromSeconds(10), KeepAliveProbes = 3 } }, scheduler);
        using var client = new TcpStack(failing, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.2") }, scheduler);
        using var listening = server.Listen(80).Subscribe(c => c.Received.Subscribe(_ => { }, _ => { }));

        TcpConnection? connection = null;
        client.Connect("192.0.2.1", 80).Subscribe(c => connection = c);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        Assert.NotNull(connection);
        Exception? receiveError = null, sendError = null;
        connection.Received.Subscribe(_ => { }, e => receiveError = e);
        // More than the send buffer holds, so a send is still waiting when the link fails.
        connection.Send(new byte[1_000_000]).Subscribe(_ => { }, e => sendError = e);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(20).Ticks);
        Assert.Equal(1, client.ConnectionCount);

        failing.Fail(new IOException("the device is gone"));
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1).Ticks);

        Assert.IsType<IOException>(client.PipelineError);
        Assert.Equal(TcpError.Aborted, Assert.IsType<TcpException>(receiveError).Error);
        Assert.IsType<TcpException>(sendError);
        Assert.Equal(TcpError.Aborted, connection.Error);
        Assert.Equal(TcpState.Closed, connection.State);
        Assert.Equal(0, client.ConnectionCount);
        Assert.Equal(0, client.Connections.Count);
        Assert.False(client.Ports.InUse(connection.Key.LocalPort));

        // A later connection attempt fails at once instead of waiting for a pipeline that is gone.
        Exception? lateError = null;
        client.Connect("192.0.2.1", 80).Subscribe(_ => { }, e => lateError = e);
        scheduler.AdvanceBy(1);
        Assert.IsType<TcpException>(lateError);

        // The server, whose peer vanished without a word and which has nothing to send, finds out by keep-alive.
        scheduler.AdvanceBy(TimeSpan.FromMinutes(5).Ticks);
        Assert.Equal(0, server.ConnectionCount);
    }
}
