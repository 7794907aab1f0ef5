using Xunit;
using Reactive.Tcp.Api;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Stack;

namespace Reactive.Tcp.Tests.Api;

/// <summary>
/// A connection makes its States subject and its reader plumbing only when they are used (so an idle
/// connection carries neither); subscribing late must still see what an early subscriber would.
/// </summary>
public sealed class LazyConnectionPartsTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static (TcpConnection Server, TcpConnection Client) Connect(TwoStackHarness h)
    {
        TcpConnection? server = null, client = null;
        h.Server.Listen(80).Subscribe(c => server = c);
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(c => client = c);
        h.Scheduler.AdvanceBy(Second.Ticks);
        Assert.NotNull(server);
        Assert.NotNull(client);
        return (server!, client!);
    }

    [Fact]
    public void States_subscribed_after_a_change_starts_with_the_current_state_and_follows_to_closed()
    {
        using var h = new TwoStackHarness();
        var (server, client) = Connect(h);
        client.Close();
        h.Scheduler.AdvanceBy(Second.Ticks);
        Assert.Equal(TcpState.CloseWait, server.State);

        var seen = new List<TcpState>();
        bool completed = false;
        server.States.Subscribe(seen.Add, () => completed = true);
        Assert.Equal([TcpState.CloseWait], seen);

        server.Close();
        h.Scheduler.AdvanceBy(Second.Ticks);
        Assert.Equal([TcpState.CloseWait, TcpState.LastAck, TcpState.Closed], seen);
        Assert.True(completed);
    }

    [Fact]
    public void States_subscribed_after_the_connection_closed_completes_at_once()
    {
        using var h = new TwoStackHarness();
        var (server, client) = Connect(h);
        client.Abort();
        h.Scheduler.AdvanceBy(Second.Ticks);
        Assert.Equal(TcpState.Closed, server.State);

        var seen = new List<TcpState>();
        bool completed = false;
        server.States.Subscribe(seen.Add, () => completed = true);
        Assert.Empty(seen);
        Assert.True(completed);
    }

    [Fact]
    public void Received_can_be_subscribed_again_once_a_subscription_has_ended()
    {
        using var h = new TwoStackHarness();
        var (server, client) = Connect(h);
        var first = new MemoryStream();
        var subscription = server.Received.Subscribe(m => first.Write(m.Span));
        client.Send("one"u8.ToArray()).Subscribe(_ => { });
        h.Scheduler.AdvanceBy(Second.Ticks);
        subscription.Dispose();
        h.Scheduler.AdvanceBy(Second.Ticks);

        var second = new MemoryStream();
        Exception? error = null;
        server.Received.Subscribe(m => second.Write(m.Span), e => error = e);
        client.Send("two"u8.ToArray()).Subscribe(_ => { });
        h.Scheduler.AdvanceBy(Second.Ticks);

        Assert.Null(error);
        Assert.Equal("one"u8.ToArray(), first.ToArray());
        Assert.Equal("two"u8.ToArray(), second.ToArray());
    }
}
