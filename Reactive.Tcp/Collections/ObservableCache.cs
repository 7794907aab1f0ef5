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
public sealed class ObservableCache<TObject, TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, TObject> _items = new();
    private readonly List<IObserver<IChangeSet<TObject, TKey>>> _observers = new();
    private readonly object _gate = new();

    /// <summary>Number of items.</summary>
    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    /// <summary>A snapshot of the items.</summary>
    public IReadOnlyList<TObject> Items
    {
        get { lock (_gate) return _items.Values.ToArray(); }
    }

    /// <summary>The item under <paramref name="key"/>, if any.</summary>
    public bool TryGet(TKey key, out TObject value)
    {
        lock (_gate) return _items.TryGetValue(key, out value!);
    }

    /// <summary>Adds or replaces the item under <paramref name="key"/>.</summary>
    public void AddOrUpdate(TKey key, TObject value)
    {
        lock (_gate)
        {
            var change = _items.TryGetValue(key, out var previous)
                ? new Change<TObject, TKey>(ChangeReason.Update, key, value, previous)
                : new Change<TObject, TKey>(ChangeReason.Add, key, value);
            _items[key] = value;
            Publish(change);
        }
    }

    /// <summary>Removes the item under <paramref name="key"/>, if present.</summary>
    public void Remove(TKey key)
    {
        lock (_gate)
        {
            if (!_items.Remove(key, out var removed)) return;
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
            if (!_items.Remove(key, out var removed)) return;
            Publish(new Change<TObject, TKey>(ChangeReason.Remove, key, final(removed)));
        }
    }

    /// <summary>The contents as Adds, then each change as it happens.</summary>
    public IObservable<IChangeSet<TObject, TKey>> Connect() => Observable.Create<IChangeSet<TObject, TKey>>(observer =>
    {
        lock (_gate)
        {
            if (_items.Count > 0)
                observer.OnNext(new ChangeSet<TObject, TKey>(_items.Select(kv => new Change<TObject, TKey>(ChangeReason.Add, kv.Key, kv.Value))));
            _observers.Add(observer);
        }
        return Disposable.Create(() =>
        {
            lock (_gate) _observers.Remove(observer);
        });
    });

    private void Publish(Change<TObject, TKey> change)
    {
        if (_observers.Count == 0) return;
        var set = new ChangeSet<TObject, TKey>([change]);
        foreach (var observer in _observers.ToArray()) observer.OnNext(set);
    }
}
