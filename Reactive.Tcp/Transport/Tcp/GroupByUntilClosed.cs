using System.Reactive.Disposables;
using System.Reactive.Linq;

namespace Reactive.Tcp.Transport;

/// <summary>
/// <c>GroupByUntil</c> without the per-element allocation, whose table of live groups is the
/// caller's <see cref="GroupTable{TKey, TState}"/>: the operator the TCP transport groups its
/// inputs with (one group per connection, ended when the connection is CLOSED), and at the same
/// time its one connection table.
/// </summary>
internal static class GroupByUntilClosedExtensions
{
    private static long _liveGroups;

    /// <summary>
    /// Groups in some operator's table right now, across the process: a leak check for soak tests
    /// (a connection whose group never ends stays counted).
    /// </summary>
    internal static long LiveGroups => Interlocked.Read(ref _liveGroups);

    /// <summary>
    /// Groups <paramref name="source"/> by key, each group living until the observable that
    /// <paramref name="durationSelector"/> returns for it produces a value or completes (for the
    /// stack: until the connection signals CLOSED). An element whose key has no live group opens a
    /// new one, whose <see cref="IGroupRow{TState}.State"/> <paramref name="stateSelector"/>
    /// makes from that first element; so elements arriving after a group ended start a fresh group
    /// for the same key. Live groups are the rows of <paramref name="table"/>, where the caller can
    /// look them up.
    /// </summary>
    /// <remarks>
    /// <para>Same meaning as Rx's <c>GroupByUntil(keySelector, durationSelector)</c>, with these
    /// differences, all in aid of passing elements on without allocating:</para>
    /// <list type="bullet">
    /// <item>Elements are handed to a group's observers directly under the operator's lock, where
    /// <c>GroupByUntil</c> wraps each group in an <c>AsyncLock</c> observer that boxes every element
    /// into a queued work item. A duration that fires while one of the group's own elements is
    /// being delivered (a connection that closes while handling its last segment) ends the group
    /// right after that delivery returns, as the <c>AsyncLock</c> would; the group is removed from
    /// the table at once, so the next element with its key opens a new group.</item>
    /// <item>Disposing the subscription to the groups ends everything: the source subscription, the
    /// durations, and deliveries to the groups' observers. (<c>GroupByUntil</c> keeps the source
    /// alive while any group is still subscribed.)</item>
    /// </list>
    /// <para>Element delivery, key selection and group creation hold a lock (re-entrant), so
    /// durations may fire on any thread. An exception from a selector, or an error from a
    /// duration, fails every group and the result. A table serves one subscription at a time.</para>
    /// </remarks>
    public static IObservable<IStatefulGroup<TKey, TSource, TState>> GroupByUntilClosed<TSource, TKey, TState, TDuration>(
        this IObservable<TSource> source,
        GroupTable<TKey, TState> table,
        Func<TSource, TKey> keySelector,
        Func<TKey, TSource, TState> stateSelector,
        Func<IStatefulGroup<TKey, TSource, TState>, IObservable<TDuration>> durationSelector)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(keySelector);
        ArgumentNullException.ThrowIfNull(stateSelector);
        ArgumentNullException.ThrowIfNull(durationSelector);
        return new Operator<TSource, TKey, TState, TDuration>(source, table, keySelector, stateSelector, durationSelector);
    }

    /// <summary>
    /// <see cref="GroupByUntilClosed{TSource, TKey, TState, TDuration}"/> with a table of its own and
    /// groups that carry no state: the plain <c>GroupByUntil</c> shape.
    /// </summary>
    public static IObservable<IGroupedObservable<TKey, TSource>> GroupByUntilClosed<TSource, TKey, TDuration>(
        this IObservable<TSource> source,
        Func<TSource, TKey> keySelector,
        Func<IGroupedObservable<TKey, TSource>, IObservable<TDuration>> durationSelector,
        IEqualityComparer<TKey>? comparer = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(durationSelector);
        return Observable.Defer(() => source.GroupByUntilClosed(new GroupTable<TKey, TKey>(comparer), keySelector, static (key, _) => key, durationSelector));
    }

    private sealed class Operator<TSource, TKey, TState, TDuration>(
        IObservable<TSource> source,
        GroupTable<TKey, TState> table,
        Func<TSource, TKey> keySelector,
        Func<TKey, TSource, TState> stateSelector,
        Func<IStatefulGroup<TKey, TSource, TState>, IObservable<TDuration>> durationSelector) : IObservable<IStatefulGroup<TKey, TSource, TState>>
        where TKey : notnull
    {
        public IDisposable Subscribe(IObserver<IStatefulGroup<TKey, TSource, TState>> observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            var sink = new Sink<TSource, TKey, TState, TDuration>(observer, table, keySelector, stateSelector, durationSelector);
            sink.Run(source);
            return sink;
        }
    }

    // The Producer/Sink split of Rx.NET: one sink per subscription holds the table of live groups.
    private sealed class Sink<TSource, TKey, TState, TDuration> : IObserver<TSource>, IDisposable
        where TKey : notnull
    {
        private readonly IObserver<IStatefulGroup<TKey, TSource, TState>> _downstream;
        private readonly Func<TSource, TKey> _keySelector;
        private readonly Func<TKey, TSource, TState> _stateSelector;
        private readonly Func<IStatefulGroup<TKey, TSource, TState>, IObservable<TDuration>> _durationSelector;
        private readonly GroupTable<TKey, TState> _table;
        private readonly SingleAssignmentDisposable _upstream = new();

        // A Monitor, which is re-entrant: a group's observer may end its own group (or another) from
        // inside an element's delivery, on the same thread.
        private readonly object _gate = new();
        private bool _stopped;

        public Sink(
            IObserver<IStatefulGroup<TKey, TSource, TState>> downstream,
            GroupTable<TKey, TState> table,
            Func<TSource, TKey> keySelector,
            Func<TKey, TSource, TState> stateSelector,
            Func<IStatefulGroup<TKey, TSource, TState>, IObservable<TDuration>> durationSelector)
        {
            _downstream = downstream;
            _table = table;
            _keySelector = keySelector;
            _stateSelector = stateSelector;
            _durationSelector = durationSelector;
            table.Attach(_gate);
        }

        internal object Gate => _gate;

        public void Run(IObservable<TSource> source) => _upstream.Disposable = source.Subscribe(this);

        public void OnNext(TSource value)
        {
            lock (_gate)
            {
                if (_stopped) return;
                TKey key;
                try
                {
                    key = _keySelector(value);
                }
                catch (Exception error)
                {
                    FailLocked(error);
                    return;
                }

                if (!_table.Rows.TryGetValue(key, out var row))
                {
                    Group<TSource, TKey, TState, TDuration> created;
                    IObservable<TDuration> duration;
                    try
                    {
                        created = new Group<TSource, TKey, TState, TDuration>(this, key, _stateSelector(key, value));
                        duration = _durationSelector(created);
                    }
                    catch (Exception error)
                    {
                        FailLocked(error);
                        return;
                    }

                    // GroupByUntil's order: duration chosen, group emitted, duration subscribed, element delivered.
                    _table.Rows.Add(key, created);
                    Interlocked.Increment(ref _liveGroups);
                    _downstream.OnNext(created);
                    created.Watch(duration);
                    row = created;
                }

                ((Group<TSource, TKey, TState, TDuration>)row).Deliver(value);
            }
        }

        public void OnError(Exception error)
        {
            lock (_gate)
            {
                if (!_stopped) FailLocked(error);
            }
        }

        public void OnCompleted()
        {
            lock (_gate)
            {
                if (_stopped) return;
                _stopped = true;
                var groups = TakeGroupsLocked();
                foreach (var group in groups) group.Complete();
                _downstream.OnCompleted();
            }
            _upstream.Dispose();
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _stopped = true;
                foreach (var group in TakeGroupsLocked()) group.Detach();
            }
            _upstream.Dispose();
        }

        /// <summary>A group's duration fired: it leaves the table now and completes once it is not delivering.</summary>
        internal void Expire(Group<TSource, TKey, TState, TDuration> group)
        {
            lock (_gate)
            {
                if (_table.Rows.TryGetValue(group.Key, out var live) && ReferenceEquals(live, group))
                {
                    _table.Rows.Remove(group.Key);
                    Interlocked.Decrement(ref _liveGroups);
                }
                group.Complete();
            }
        }

        internal void DurationFailed(Exception error)
        {
            lock (_gate)
            {
                if (!_stopped) FailLocked(error);
            }
        }

        private void FailLocked(Exception error)
        {
            _stopped = true;
            foreach (var group in TakeGroupsLocked()) group.Fail(error);
            _downstream.OnError(error);
            _upstream.Dispose();
        }

        private Group<TSource, TKey, TState, TDuration>[] TakeGroupsLocked()
        {
            if (_table.Rows.Count == 0) return [];
            var groups = _table.Rows.Values.Cast<Group<TSource, TKey, TState, TDuration>>().ToArray();
            _table.Rows.Clear();
            Interlocked.Add(ref _liveGroups, -groups.Length);
            return groups;
        }
    }

    // One group: a tiny subject (usually one observer) that also observes its own duration.
    private sealed class Group<TSource, TKey, TState, TDuration>(Sink<TSource, TKey, TState, TDuration> sink, TKey key, TState state)
        : IStatefulGroup<TKey, TSource, TState>, IObserver<TDuration>, IDisposable
        where TKey : notnull
    {
        // The first subscriber (for the stack, the only one) is held in a field and gets the group
        // itself as its subscription, so a live connection's group costs no array and no
        // disposable; any later subscribers go in the array.
        private IObserver<TSource>? _first;
        private bool _firstTaken;
        private IObserver<TSource>[] _observers = [];
        private IDisposable? _duration;
        private int _delivering;
        private bool _endPending;
        private bool _ended;
        private Exception? _error;

        public TKey Key { get; } = key;

        public TState State { get; } = state;

        public IDisposable Subscribe(IObserver<TSource> observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            lock (sink.Gate)
            {
                if (!_ended)
                {
                    if (!_firstTaken)
                    {
                        _firstTaken = true;
                        _first = observer;
                        return this;
                    }
                    var grown = new IObserver<TSource>[_observers.Length + 1];
                    _observers.CopyTo(grown, 0);
                    grown[^1] = observer;
                    _observers = grown;
                    return Disposable.Create((this, observer), static s => s.Item1.Unsubscribe(s.observer));
                }
            }

            if (_error is { } error) observer.OnError(error);
            else observer.OnCompleted();
            return Disposable.Empty;
        }

        // Called under the sink's lock.
        public void Watch(IObservable<TDuration> duration)
        {
            var subscription = duration.Subscribe(this);
            if (_ended) subscription.Dispose();
            else _duration = subscription;
        }

        // Called under the sink's lock.
        public void Deliver(TSource value)
        {
            if (_ended || _endPending) return;
            _delivering++;
            try
            {
                _first?.OnNext(value);
                var observers = _observers;
                for (int i = 0; i < observers.Length; i++) observers[i].OnNext(value);
            }
            finally
            {
                if (--_delivering == 0 && _endPending) End(null);
            }
        }

        // Called under the sink's lock.
        public void Complete()
        {
            if (_ended) return;
            if (_delivering > 0) _endPending = true;
            else End(null);
        }

        // Called under the sink's lock. Errors don't wait for a delivery in progress, as in Rx.
        public void Fail(Exception error)
        {
            if (!_ended) End(error);
        }

        // Called under the sink's lock: the whole operator was disposed, nobody is told.
        public void Detach()
        {
            _ended = true;
            _first = null;
            _observers = [];
            _duration?.Dispose();
            _duration = null;
        }

        void IObserver<TDuration>.OnNext(TDuration value) => sink.Expire(this);

        void IObserver<TDuration>.OnCompleted() => sink.Expire(this);

        void IObserver<TDuration>.OnError(Exception error) => sink.DurationFailed(error);

        private void End(Exception? error)
        {
            _ended = true;
            _error = error;
            _duration?.Dispose();
            _duration = null;
            var first = _first;
            var observers = _observers;
            _first = null;
            _observers = [];
            if (first is not null)
            {
                if (error is null) first.OnCompleted();
                else first.OnError(error);
            }
            foreach (var observer in observers)
            {
                if (error is null) observer.OnCompleted();
                else observer.OnError(error);
            }
        }

        void IDisposable.Dispose()
        {
            lock (sink.Gate) _first = null;
        }

        private void Unsubscribe(IObserver<TSource> observer)
        {
            lock (sink.Gate)
            {
                int index = Array.IndexOf(_observers, observer);
                if (index < 0) return;
                var shrunk = new IObserver<TSource>[_observers.Length - 1];
                Array.Copy(_observers, 0, shrunk, 0, index);
                Array.Copy(_observers, index + 1, shrunk, index, shrunk.Length - index);
                _observers = shrunk;
            }
        }
    }
}
