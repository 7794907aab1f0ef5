namespace Reactive.Tcp.Collections;

/// <summary>What happened to an item in a change set (named as in DynamicData).</summary>
public enum ChangeReason
{
    /// <summary>The item is new (also used for every item of the initial snapshot).</summary>
    Add,
    /// <summary>The item replaced an earlier value under the same key.</summary>
    Update,
    /// <summary>The item is gone.</summary>
    Remove,
}
