using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// The out-of-order byte ranges held beyond RCV.NXT, kept sorted and merged. Bounded: when full,
/// a new disjoint range is refused (the data is dropped and the peer retransmits it).
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference, so an idle connection
/// pays for neither an object nor a list; callers must not copy it into a local and mutate that.
/// </remarks>
internal struct ReassemblyRanges
{
    private const int DefaultMaxRanges = 64;
    private readonly int _maxRanges;

    // Made on the first range: most connections never see reordering or SACK blocks.
    private List<SackBlock>? _list;
    private static readonly List<SackBlock> NoRanges = new(0);
    private List<SackBlock> Items => _list ??= new List<SackBlock>();

    public ReassemblyRanges(int maxRanges = DefaultMaxRanges) => _maxRanges = maxRanges;

    /// <summary>Most disjoint ranges held at once.</summary>
    public readonly int MaxRanges => _maxRanges == 0 ? DefaultMaxRanges : _maxRanges;

    /// <summary>Number of disjoint ranges held.</summary>
    public int Count => _list?.Count ?? 0;

    /// <summary>The ranges, lowest first.</summary>
    public IReadOnlyList<SackBlock> Ranges => _list ?? NoRanges;

    /// <summary>Adds <c>[left, right)</c>, merging with neighbours; false when refused for lack of room.</summary>
    public bool Add(SeqNum left, SeqNum right)
    {
        if (right <= left) return true;
        var ranges = Items;
        int i = 0;
        while (i < ranges.Count && ranges[i].Right < left) i++;
        // i is the first range that could touch or follow [left, right).
        int j = i;
        while (j < ranges.Count && ranges[j].Left <= right)
        {
            left = SeqNum.Min(left, ranges[j].Left);
            right = SeqNum.Max(right, ranges[j].Right);
            j++;
        }
        if (j == i && ranges.Count >= MaxRanges) return false;
        ranges.RemoveRange(i, j - i);
        ranges.Insert(i, new SackBlock(left, right));
        return true;
    }

    /// <summary>
    /// Removes the range that starts at or before <paramref name="rcvNxt"/> and returns its right
    /// edge (the new RCV.NXT); returns <paramref name="rcvNxt"/> when there is none. Ranges wholly
    /// below <paramref name="rcvNxt"/> are discarded.
    /// </summary>
    public SeqNum TakeContiguous(SeqNum rcvNxt)
    {
        var next = rcvNxt;
        if (_list is not { } ranges) return next;
        while (ranges.Count > 0 && ranges[0].Left <= next)
        {
            next = SeqNum.Max(next, ranges[0].Right);
            ranges.RemoveAt(0);
        }
        return next;
    }

    /// <summary>Drops whatever lies below <paramref name="edge"/> (the sender's SND.UNA moved past it).</summary>
    public void DiscardBelow(SeqNum edge)
    {
        if (_list is not { } ranges) return;
        while (ranges.Count > 0 && ranges[0].Right <= edge) ranges.RemoveAt(0);
        if (ranges.Count > 0 && ranges[0].Left < edge) ranges[0] = new SackBlock(edge, ranges[0].Right);
    }

    /// <summary>The right edge of the highest range, or <paramref name="otherwise"/> when empty.</summary>
    public SeqNum HighestRight(SeqNum otherwise) => _list is { Count: > 0 } ranges ? ranges[^1].Right : otherwise;

    /// <summary>Bytes held in ranges below <paramref name="limit"/>.</summary>
    public int BytesBelow(SeqNum limit)
    {
        int total = 0;
        foreach (var r in _list ?? NoRanges)
        {
            if (r.Left >= limit) break;
            total += SeqNum.Min(r.Right, limit) - r.Left;
        }
        return total;
    }

    /// <summary>
    /// The first byte at or after <paramref name="from"/> and below <paramref name="limit"/> that no
    /// range holds, and how many such bytes follow it; false when there is none.
    /// </summary>
    public bool NextGap(SeqNum from, SeqNum limit, out SeqNum start, out int length)
    {
        start = from;
        foreach (var r in _list ?? NoRanges)
        {
            if (r.Right <= start) continue;
            if (r.Left > start)
            {
                var end = SeqNum.Min(r.Left, limit);
                length = end - start;
                return length > 0;
            }
            start = r.Right;
        }
        length = limit - start;
        return length > 0;
    }

    /// <summary>The range holding <paramref name="seq"/>, if any.</summary>
    public bool TryFind(SeqNum seq, out SackBlock range)
    {
        foreach (var r in _list ?? NoRanges)
        {
            if (seq >= r.Left && seq < r.Right) { range = r; return true; }
            if (r.Left > seq) break;
        }
        range = default;
        return false;
    }

    /// <summary>Forgets every range.</summary>
    public void Clear() => _list?.Clear();
}
