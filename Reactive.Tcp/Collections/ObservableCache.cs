using System.Reactive.Disposables;
using System.Reactive.Linq;

namespace Reactive.Tcp.Collections;

/// <summary>
/// A keyed table whose <see cref="Connect"/> yields the current contents as one batch of Adds,
/// then every later Add/Update/Remove as it happens — the shape of DynamicData's
/// <c>SourceCache.Connect()</c>. Thread-safe; subscribers see changes in the order they were made.
/// </summary>
/// <typeparam name="TObject">The item type.</typeparam>
/// <typeparam name="TKey">The key type.</typeparam>
/// <remarks>
/// An item added through <see cref="AddOrUpdate(TKey, IRowSource{TObject})"/> is kept as its source
/// while the cache has no subscribers, and its row is made when someone reads the cache or
/// connects to it: subscribers see the same thing (the current contents, then every change), but
/// a large table nobody watches holds no row objects.
/// </remarks>
internal sealed class ObservableCache<TObject, TKey> : IObservableCache<TObject, TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, TObject> _items = new();
    // Items whose rows are not made yet (only while there are no observers); a key is in one of the two.
    private readonly Dictionary<TKey, IRowSource<TObject>> _sources = new();
    private readonly List<IObserver<IChangeSet<TObject, TKey>>> _observers = new();
    private readonly object _gate = new();

    /// <summary>Number of items.</summary>
    public int Count
    {
        get { lock (_gate) return _items.Count + _sources.Count; }
    }

    /// <summary>A snapshot of the items.</summary>
    public IReadOnlyList<TObject> Items
    {
        get
        {
            lock (_gate)
            {
                var rows = new TObject[_items.Count + _sources.Count];
                _items.Values.CopyTo(rows, 0);
                int i = _items.Count;
                foreach (var source in _sources.Values) rows[i++] = source.Snapshot();
                return rows;
            }
        }
    }

    /// <summary>The item under <paramref name="key"/>, if any.</summary>
    public bool TryGet(TKey key, out TObject value)
    {
        lock (_gate)
        {
            if (_items.TryGetValue(key, out value!)) return true;
            if (!_sources.TryGetValue(key, out var source)) return false;
            value = source.Snapshot();
            return true;
        }
    }

    /// <summary>Adds or replaces the item under <paramref name="key"/>.</summary>
    public void AddOrUpdate(TKey key, TObject value)
    {
        lock (_gate)
        {
            var change = TryTake(key, out var previous)
                ? new Change<TObject, TKey>(ChangeReason.Update, key, value, previous)
                : new Change<TObject, TKey>(ChangeReason.Add, key, value);
            _items[key] = value;
            Publish(change);
        }
    }

    /// <summary>
    /// Adds or updates the item under <paramref name="key"/> from <paramref name="source"/>: its row
    /// is made now if the cache has subscribers (who get the change as usual), otherwise only when
    /// the cache is read or connected to, from the source's state at that time.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="source">Makes the item's row.</param>
    public void AddOrUpdate(TKey key, IRowSource<TObject> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_gate)
        {
            if (_observers.Count > 0)
            {
                AddOrUpdate(key, source.Snapshot());
                return;
            }
            _items.Remove(key);
            _sources[key] = source;
        }
    }

    /// <summary>Removes the item under <paramref name="key"/>, if present.</summary>
    public void Remove(TKey key)
    {
        lock (_gate)
        {
            if (!TryTake(key, out var removed)) return;
            Publish(new Change<TObject, TKey>(ChangeReason.Remove, key, removed));
        }
    }

    /// <summary>
    /// Removes the item under <paramref name="key"/>, if present, publishing it as
    /// <paramref name="final"/> makes it (e.g. a row that also says why it went).
    /// </summary>
    public void Remove(TKey key, Func<TObject, TObject> final)
    {
        ArgumentNullException.ThrowIfNull(final);
        lock (_gate)
        {
            if (_observers.Count == 0)
            {
                // Nobody sees the final row: do not make it.
                if (!_items.Remove(key)) _sources.Remove(key);
                return;
            }
            if (!TryTake(key, out var removed)) return;
            Publish(new Change<TObject, TKey>(ChangeReason.Remove, key, final(removed)));
        }
    }

    /// <summary>The contents as Adds, then each change as it happens.</summary>
    public IObservable<IChangeSet<TObject, TKey>> Connect() => Observable.Create<IChangeSet<TObject, TKey>>(observer =>
    {
        lock (_gate)
        {
            // Rows are made now and kept while anyone watches, so later changes name their previous row.
            foreach (var (key, source) in _sources) _items[key] = source.Snapshot();
            _sources.Clear();
            if (_items.Count > 0)
                observer.OnNext(new ChangeSet<TObject, TKey>(_items.Select(kv => new Change<TObject, TKey>(ChangeReason.Add, kv.Key, kv.Value))));
            _observers.Add(observer);
        }
        return Disposable.Create(() =>
        {
            lock (_gate) _observers.Remove(observer);
        });
    });

    private bool TryTake(TKey key, out TObject value)
    {
        if (_items.Remove(key, out value!)) return true;
        if (!_sources.Remove(key, out var source)) return false;
        value = source.Snapshot();
        return true;
    }

    private void Publish(Change<TObject, TKey> change)
    {
        if (_observers.Count == 0) return;
        var set = new ChangeSet<TObject, TKey>([change]);
        foreach (var observer in _observers.ToArray()) observer.OnNext(set);
    }
}
