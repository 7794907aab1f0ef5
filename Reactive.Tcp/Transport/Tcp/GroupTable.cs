using System.Reactive.Linq;
namespace Reactive.Tcp.Transport;

/// <summary>
/// The live groups of one <see cref="GroupByUntilClosedExtensions.GroupByUntilClosed{TSource, TKey, TState, TDuration}"/>
/// subscription, by key, each with its state: for the TCP transport, the one connection table
/// (a connection's row, its Rx group and its <c>Scan</c> state are one entry, not three).
/// </summary>
/// <typeparam name="TKey">The group key (a connection's 4-tuple).</typeparam>
/// <typeparam name="TState">What each group carries (the connection's state).</typeparam>
internal sealed class GroupTable<TKey, TState>(IEqualityComparer<TKey>? comparer = null) where TKey : notnull
{
    private object _gate = new();
    private bool _attached;

    /// <summary>The rows; changed only by the operator, under its lock.</summary>
    internal Dictionary<TKey, IGroupRow<TState>> Rows { get; } = new(comparer);

    /// <summary>Live groups.</summary>
    public int Count
    {
        get { lock (_gate) return Rows.Count; }
    }

    /// <summary>The state of the live group for <paramref name="key"/>, if there is one.</summary>
    public bool TryGetState(TKey key, out TState state)
    {
        lock (_gate)
        {
            if (Rows.TryGetValue(key, out var row))
            {
                state = row.State;
                return true;
            }
        }
        state = default!;
        return false;
    }

    /// <summary>A snapshot of every live group's state.</summary>
    public TState[] States()
    {
        lock (_gate) return [.. Rows.Values.Select(r => r.State)];
    }

    /// <summary>Binds the table to the one operator subscription that fills it, sharing its lock.</summary>
    /// <exception cref="InvalidOperationException">Another subscription already uses this table.</exception>
    internal void Attach(object gate)
    {
        lock (_gate)
        {
            if (_attached) throw new InvalidOperationException("A group table serves one subscription.");
            _attached = true;
            _gate = gate;
        }
    }
}

/// <summary>A row of a <see cref="GroupTable{TKey, TState}"/>: one live group's state.</summary>
internal interface IGroupRow<out TState>
{
    /// <summary>What the group carries.</summary>
    TState State { get; }
}

/// <summary>A group of <see cref="GroupByUntilClosedExtensions.GroupByUntilClosed{TSource, TKey, TState, TDuration}"/>: the elements of one key, with the state made for it when it opened.</summary>
internal interface IStatefulGroup<out TKey, out TSource, out TState> : IGroupedObservable<TKey, TSource>, IGroupRow<TState>;
