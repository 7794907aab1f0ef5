using Reactive.Tcp.Collections;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Stack;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Api;

public class ConnectionTableTests
{
    [Fact]
    public void Cache_connect_yields_snapshot_as_adds_then_deltas()
    {
        var cache = new ObservableCache<string, int>();
        cache.AddOrUpdate(1, "one");
        cache.AddOrUpdate(2, "two");
        var sets = new List<IChangeSet<string, int>>();
        using var sub = cache.Connect().Subscribe(sets.Add);
        cache.AddOrUpdate(2, "TWO");
        cache.Remove(1);
        cache.Remove(42);

        Assert.Equal(3, sets.Count);
        Assert.Equal(2, sets[0].Adds);
        var update = Assert.Single(sets[1]);
        Assert.Equal(ChangeReason.Update, update.Reason);
        Assert.Equal("two", update.Previous);
        Assert.Equal("TWO", update.Current);
        Assert.Equal(ChangeReason.Remove, Assert.Single(sets[2]).Reason);
    }

    [Fact]
    public void Stack_connection_table_follows_a_connection_from_add_to_remove()
    {
        using var h = new TwoStackHarness();
        var changes = new List<Change<ConnectionInfo, ConnectionKey>>();
        using var sub = h.Client.Connections.Connect().Subscribe(set => changes.AddRange(set));
        var listeners = new List<IChangeSet<ushort, ushort>>();
        using var l = h.Server.Listeners.Connect().Subscribe(listeners.Add);
        h.Transfer(10_000, 10_000, seed: 3);

        Assert.Equal(ChangeReason.Add, changes[0].Reason);
        Assert.Equal(TcpState.SynSent, changes[0].Current.State);
        Assert.Contains(changes, c => c.Reason == ChangeReason.Update && c.Current.State == TcpState.Established);
        Assert.Contains(changes, c => c.Reason == ChangeReason.Update && c.Current.State == TcpState.TimeWait || c.Current.State == TcpState.LastAck);
        Assert.Equal(ChangeReason.Remove, changes[^1].Reason);
        Assert.Equal(0, h.Client.Connections.Count);
        Assert.Equal(ChangeReason.Add, listeners[0][0].Reason);
        Assert.Equal(ChangeReason.Remove, listeners[^1][0].Reason);
    }
}
