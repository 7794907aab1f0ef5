namespace Reactive.Tcp.Collections;

/// <summary>One keyed change: the reason, the key, the current value and (for updates) the previous one.</summary>
/// <typeparam name="TObject">The item type.</typeparam>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="Reason">What happened.</param>
/// <param name="Key">The item's key.</param>
/// <param name="Current">The value now (for a removal, the value removed).</param>
/// <param name="Previous">The value replaced, for <see cref="ChangeReason.Update"/>.</param>
public readonly record struct Change<TObject, TKey>(ChangeReason Reason, TKey Key, TObject Current, TObject? Previous = default)
    where TKey : notnull;
