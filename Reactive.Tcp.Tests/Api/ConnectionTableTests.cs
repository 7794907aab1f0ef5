using Reactive.Tcp.Collections;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Transport;

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

    private sealed class CountingSource(string name) : IRowSource<string>
    {
        public string Name { get; set; } = name;
        public int Made { get; private set; }
        public string Snapshot()
        {
            Made++;
            return Name;
        }
    }

    [Fact]
    public void Cache_makes_a_sourced_row_only_when_read_or_watched_and_then_reports_changes_as_usual()
    {
        var cache = new ObservableCache<string, int>();
        var one = new CountingSource("one");
        var two = new CountingSource("two");
        cache.AddOrUpdate(1, one);
        cache.AddOrUpdate(2, two);
        cache.AddOrUpdate(2, two);
        two.Name = "two later";
        Assert.Equal(2, cache.Count);
        Assert.Equal(0, one.Made + two.Made); // nobody watched or read: no rows

        Assert.True(cache.TryGet(2, out var read));
        Assert.Equal("two later", read); // the row as of the read
        cache.Remove(1, row => row + " (closed)");
        Assert.Equal(0, one.Made); // a removal nobody watches makes no final row

        var sets = new List<IChangeSet<string, int>>();
        using var sub = cache.Connect().Subscribe(sets.Add);
        Assert.Equal("two later", Assert.Single(sets[0]).Current);
        two.Name = "TWO";
        cache.AddOrUpdate(2, two);
        cache.Remove(2, row => row + " (closed)");

        var update = Assert.Single(sets[1]);
        Assert.Equal(ChangeReason.Update, update.Reason);
        Assert.Equal("two later", update.Previous);
        Assert.Equal("TWO", update.Current);
        Assert.Equal("TWO (closed)", Assert.Single(sets[2]).Current);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Stack_connection_table_connected_late_lists_an_idle_connection_as_it_is_now()
    {
        using var h = new TwoStackHarness();
        using var listening = h.Server.Listen(80).Subscribe(_ => { });
        using var connecting = h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(_ => { });
        h.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        var changes = new List<Change<ConnectionInfo, ConnectionKey>>();
        using var sub = h.Client.Connections.Connect().Subscribe(set => changes.AddRange(set));
        var add = Assert.Single(changes);
        Assert.Equal(ChangeReason.Add, add.Reason);
        Assert.Equal(TcpState.Established, add.Current.State);
        Assert.False(add.Current.Passive);
        Assert.Equal(TcpState.Established, Assert.Single(h.Server.Connections.Items).State);
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
