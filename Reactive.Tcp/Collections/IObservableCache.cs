namespace Reactive.Tcp.Collections;

/// <summary>
/// A keyed table that callers read and watch but cannot edit: <see cref="Connect"/> yields the
/// current contents as one batch of Adds, then every later Add/Update/Remove as it happens — the
/// shape of DynamicData's <c>IObservableCache.Connect()</c>.
/// </summary>
/// <typeparam name="TObject">The item type.</typeparam>
/// <typeparam name="TKey">The key type.</typeparam>
public interface IObservableCache<TObject, TKey>
    where TKey : notnull
{
    /// <summary>Number of items.</summary>
    int Count { get; }

    /// <summary>A snapshot of the items.</summary>
    IReadOnlyList<TObject> Items { get; }

    /// <summary>The item under <paramref name="key"/>, if any.</summary>
    bool TryGet(TKey key, out TObject value);

    /// <summary>The current contents as one change set of Adds (if not empty), then each change as it happens.</summary>
    IObservable<IChangeSet<TObject, TKey>> Connect();
}
