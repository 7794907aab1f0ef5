namespace Reactive.Tcp.Collections;

/// <summary>An immutable list of changes with per-reason counts.</summary>
/// <typeparam name="TObject">The item type.</typeparam>
/// <typeparam name="TKey">The key type.</typeparam>
public sealed class ChangeSet<TObject, TKey> : IChangeSet<TObject, TKey>
    where TKey : notnull
{
    private readonly Change<TObject, TKey>[] _changes;

    /// <summary>Wraps <paramref name="changes"/>.</summary>
    public ChangeSet(IEnumerable<Change<TObject, TKey>> changes)
    {
        _changes = changes.ToArray();
        foreach (var c in _changes)
        {
            switch (c.Reason)
            {
                case ChangeReason.Add: Adds++; break;
                case ChangeReason.Update: Updates++; break;
                case ChangeReason.Remove: Removes++; break;
            }
        }
    }

    /// <inheritdoc />
    public int Adds { get; }
    /// <inheritdoc />
    public int Updates { get; }
    /// <inheritdoc />
    public int Removes { get; }
    /// <inheritdoc />
    public int Count => _changes.Length;
    /// <inheritdoc />
    public Change<TObject, TKey> this[int index] => _changes[index];
    /// <inheritdoc />
    public IEnumerator<Change<TObject, TKey>> GetEnumerator() => ((IEnumerable<Change<TObject, TKey>>)_changes).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => _changes.GetEnumerator();
}
