using System.Collections;

namespace Reactive.Tcp.Interfaces;

/// <summary>
/// What one <see cref="ArpCache{TPacket}"/> call asks its host to do, in the order it happened:
/// send ARP frames, transmit packets to resolved addresses, drop packets, and (for observers) state
/// changes. Filled by the cache and reused from call to call, so a steady stream allocates nothing here.
/// </summary>
/// <typeparam name="TPacket">The host's handle on an outbound IPv4 packet.</typeparam>
public sealed class ArpActions<TPacket> : IReadOnlyList<ArpAction<TPacket>>
{
    private readonly List<ArpAction<TPacket>> _items = new(4);

    /// <summary>Whether the cache is to add <see cref="ArpActionKind.StateChanged"/> actions (on by default; a host that ignores them can save the work).</summary>
    public bool IncludeStateChanges { get; init; } = true;

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public ArpAction<TPacket> this[int index] => _items[index];

    /// <summary>Forgets the actions of the previous call. The cache does not clear: a host may collect several calls' actions before carrying them out.</summary>
    public void Clear() => _items.Clear();

    /// <summary>Enumerates the actions in order, without allocating.</summary>
    public List<ArpAction<TPacket>>.Enumerator GetEnumerator() => _items.GetEnumerator();

    IEnumerator<ArpAction<TPacket>> IEnumerable<ArpAction<TPacket>>.GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    internal void Add(in ArpAction<TPacket> action)
    {
        if (action.Kind == ArpActionKind.StateChanged && !IncludeStateChanges) return;
        _items.Add(action);
    }

    /// <summary>One action per line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, _items);
}
