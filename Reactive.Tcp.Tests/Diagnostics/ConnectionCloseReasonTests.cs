using Reactive.Tcp.Api;
using Reactive.Tcp.Collections;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Diagnostics;

/// <summary>The connection table's last row (the Remove) says why the connection closed.</summary>
public sealed class ConnectionCloseReasonTests
{
    private static List<Change<ConnectionInfo, ConnectionKey>> Record(TcpStack stack, List<IDisposable> keep)
    {
        var changes = new List<Change<ConnectionInfo, ConnectionKey>>();
        keep.Add(stack.Connections.Connect().Subscribe(set => changes.AddRange(set)));
        return changes;
    }

    private static Change<ConnectionInfo, ConnectionKey> Removal(List<Change<ConnectionInfo, ConnectionKey>> changes)
    {
        var removal = Assert.Single(changes, c => c.Reason == ChangeReason.Remove);
        Assert.Same(removal.Current, changes[^1].Current);
        Assert.All(changes.Where(c => c.Reason != ChangeReason.Remove), c => Assert.Null(c.Current.CloseReason));
        return removal;
    }

    [Fact]
    public void A_graceful_close_says_graceful_and_keeps_the_last_state()
    {
        using var h = new TwoStackHarness();
        var keep = new List<IDisposable>();
        var client = Record(h.Client, keep);
        var server = Record(h.Server, keep);
        h.Transfer(5000, 5000, seed: 1);

        var c = Removal(client).Current;
        Assert.Equal(ConnectionCloseReason.Graceful, c.CloseReason);
        Assert.True(c.State is TcpState.TimeWait or TcpState.LastAck, $"last state {c.State}");
        Assert.Equal(ConnectionCloseReason.Graceful, Removal(server).Current.CloseReason);
    }

    [Fact]
    public void An_abort_says_aborted_on_this_side_and_reset_by_peer_on_the_other()
    {
        using var h = new TwoStackHarness();
        var keep = new List<IDisposable>();
        var client = Record(h.Client, keep);
        var server = Record(h.Server, keep);
        TcpConnection? connection = null;
        keep.Add(h.Server.Listen(80).Subscribe(_ => { }));
        h.Scheduler.AdvanceBy(1);
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(c => connection = c);
        h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);
        connection!.Abort();
        h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);

        Assert.Equal(ConnectionCloseReason.Aborted, Removal(client).Current.CloseReason);
        Assert.Equal(ConnectionCloseReason.ResetByPeer, Removal(server).Current.CloseReason);
    }

    [Fact]
    public void A_connect_to_a_closed_port_says_refused()
    {
        using var h = new TwoStackHarness();
        var keep = new List<IDisposable>();
        var client = Record(h.Client, keep);
        h.Client.Connect(TwoStackHarness.ServerAddress, 81).Subscribe(_ => { }, _ => { });
        h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);

        var removal = Removal(client).Current;
        Assert.Equal(ConnectionCloseReason.Refused, removal.CloseReason);
        Assert.Equal(TcpState.SynSent, removal.State);
    }

    [Fact]
    public void A_peer_that_never_answers_says_timed_out()
    {
        var lossy = new VirtualWireOptions { AToB = new Impairments { Loss = 1 }, BToA = new Impairments { Loss = 1 } };
        using var h = new TwoStackHarness(lossy, TcpConfig.Default with { MaxSynRetransmissions = 2 });
        var keep = new List<IDisposable>();
        var client = Record(h.Client, keep);
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(_ => { }, _ => { });
        h.Scheduler.AdvanceBy(TimeSpan.FromMinutes(5).Ticks);

        Assert.Equal(ConnectionCloseReason.TimedOut, Removal(client).Current.CloseReason);
    }
}
