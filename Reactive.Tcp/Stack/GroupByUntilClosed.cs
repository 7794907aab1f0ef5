using System.Reactive.Disposables;
using System.Reactive.Linq;

namespace Reactive.Tcp.Stack;

/// <summary>
/// <c>GroupByUntil</c> without the per-element allocation: the operator <see cref="TcpStack"/>
/// groups its events with (one group per connection, ended when the connection is CLOSED).
/// </summary>
public static class GroupByUntilClosedExtensions
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
    /// new one, so elements arriving after a group ended start a fresh group for the same key.
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
    /// duration, fails every group and the result.</para>
    /// </remarks>
    /// <typeparam name="TSource">Element type.</typeparam>
    /// <typeparam name="TKey">Group key.</typeparam>
    /// <typeparam name="TDuration">Element type of the duration observables (ignored).</typeparam>
    /// <param name="source">Elements to group.</param>
    /// <param name="keySelector">The key of each element.</param>
    /// <param name="durationSelector">For each new group, what ends it.</param>
    /// <param name="comparer">Key equality; <see langword="null"/> for the default.</param>
    public static IObservable<IGroupedObservable<TKey, TSource>> GroupByUntilClosed<TSource, TKey, TDuration>(
        this IObservable<TSource> source,
        Func<TSource, TKey> keySelector,
        Func<IGroupedObservable<TKey, TSource>, IObservable<TDuration>> durationSelector,
        IEqualityComparer<TKey>? comparer = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(keySelector);
        ArgumentNullException.ThrowIfNull(durationSelector);
        return new Operator<TSource, TKey, TDuration>(source, keySelector, durationSelector, comparer ?? EqualityComparer<TKey>.Default);
    }

    private sealed class Operator<TSource, TKey, TDuration>(
        IObservable<TSource> source,
        Func<TSource, TKey> keySelector,
        Func<IGroupedObservable<TKey, TSource>, IObservable<TDuration>> durationSelector,
        IEqualityComparer<TKey> comparer) : IObservable<IGroupedObservable<TKey, TSource>>
        where TKey : notnull
    {
        public IDisposable Subscribe(IObserver<IGroupedObservable<TKey, TSource>> observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            var sink = new Sink<TSource, TKey, TDuration>(observer, keySelector, durationSelector, comparer);
            sink.Run(source);
            return sink;
        }
    }

    // The Producer/Sink split of Rx.NET: one sink per subscription holds the table of live groups.
    private sealed class Sink<TSource, TKey, TDuration> : IObserver<TSource>, IDisposable
        where TKey : notnull
    {
        private readonly IObserver<IGroupedObservable<TKey, TSource>> _downstream;
        private readonly Func<TSource, TKey> _keySelector;
        private readonly Func<IGroupedObservable<TKey, TSource>, IObservable<TDuration>> _durationSelector;
        private readonly Dictionary<TKey, Group<TSource, TKey, TDuration>> _groups;
        private readonly SingleAssignmentDisposable _upstream = new();

        // A Monitor, which is re-entrant: a group's observer may end its own group (or another) from
        // inside an element's delivery, on the same thread.
        private readonly object _gate = new();
        private bool _stopped;

        public Sink(
            IObserver<IGroupedObservable<TKey, TSource>> downstream,
            Func<TSource, TKey> keySelector,
            Func<IGroupedObservable<TKey, TSource>, IObservable<TDuration>> durationSelector,
            IEqualityComparer<TKey> comparer)
        {
            _downstream = downstream;
            _keySelector = keySelector;
            _durationSelector = durationSelector;
            _groups = new Dictionary<TKey, Group<TSource, TKey, TDuration>>(comparer);
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

                if (!_groups.TryGetValue(key, out var group))
                {
                    group = new Group<TSource, TKey, TDuration>(this, key);
                    IObservable<TDuration> duration;
                    try
                    {
                        duration = _durationSelector(group);
                    }
                    catch (Exception error)
                    {
                        FailLocked(error);
                        return;
                    }

                    // GroupByUntil's order: duration chosen, group emitted, duration subscribed, element delivered.
                    _groups.Add(key, group);
                    Interlocked.Increment(ref _liveGroups);
                    _downstream.OnNext(group);
                    group.Watch(duration);
                }

                group.Deliver(value);
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
        internal void Expire(Group<TSource, TKey, TDuration> group)
        {
            lock (_gate)
            {
                if (_groups.TryGetValue(group.Key, out var live) && ReferenceEquals(live, group))
                {
                    _groups.Remove(group.Key);
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

        private Group<TSource, TKey, TDuration>[] TakeGroupsLocked()
        {
            if (_groups.Count == 0) return [];
            var groups = _groups.Values.ToArray();
            _groups.Clear();
            Interlocked.Add(ref _liveGroups, -groups.Length);
            return groups;
        }
    }

    // One group: a tiny subject (usually one observer) that also observes its own duration.
    private sealed class Group<TSource, TKey, TDuration>(Sink<TSource, TKey, TDuration> sink, TKey key)
        : IGroupedObservable<TKey, TSource>, IObserver<TDuration>, IDisposable
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
