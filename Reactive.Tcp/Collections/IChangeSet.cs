namespace Reactive.Tcp.Collections;

/// <summary>
/// A batch of keyed changes, shaped like DynamicData's <c>IChangeSet&lt;TObject, TKey&gt;</c> so code
/// written against this table can move to DynamicData mechanically.
/// </summary>
/// <typeparam name="TObject">The item type.</typeparam>
/// <typeparam name="TKey">The key type.</typeparam>
public interface IChangeSet<TObject, TKey> : IReadOnlyList<Change<TObject, TKey>>
    where TKey : notnull
{
    /// <summary>Number of additions in the batch.</summary>
    int Adds { get; }
    /// <summary>Number of updates in the batch.</summary>
    int Updates { get; }
    /// <summary>Number of removals in the batch.</summary>
    int Removes { get; }
}
