namespace Reactive.Tcp.Links;

/// <summary>
/// What happened to the packets of one direction. Safe to read while packets flow; a duplicate
/// counts once in <see cref="Duplicated"/> and its two copies count twice in <see cref="Delivered"/>.
/// </summary>
public sealed class WireCounters
{
    private long _sent;
    private long _delivered;
    private long _lost;
    private long _duplicated;
    private long _reordered;
    private long _corrupted;
    private long _oversize;
    private long _marked;
    private long _congestionDropped;

    /// <summary>Packets handed to the sending end (including oversize ones).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Packets handed to the receiving end's subscribers.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Packets dropped by random loss.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Packets that were sent on twice.</summary>
    public long Duplicated => Interlocked.Read(ref _duplicated);

    /// <summary>Packet copies held back to be overtaken.</summary>
    public long Reordered => Interlocked.Read(ref _reordered);

    /// <summary>Packet copies delivered with flipped bits.</summary>
    public long Corrupted => Interlocked.Read(ref _corrupted);

    /// <summary>Packets dropped because they exceeded the MTU.</summary>
    public long Oversize => Interlocked.Read(ref _oversize);

    /// <summary>ECN-capable packets marked CE by <see cref="Impairments.CongestionMark"/>.</summary>
    public long Marked => Interlocked.Read(ref _marked);

    /// <summary>Packets that were not ECN-capable, dropped by <see cref="Impairments.CongestionMark"/>.</summary>
    public long CongestionDropped => Interlocked.Read(ref _congestionDropped);

    internal void AddMarked() => Interlocked.Increment(ref _marked);

    internal void AddCongestionDropped() => Interlocked.Increment(ref _congestionDropped);

    internal void AddSent() => Interlocked.Increment(ref _sent);

    internal void AddDelivered() => Interlocked.Increment(ref _delivered);

    internal void AddLost() => Interlocked.Increment(ref _lost);

    internal void AddDuplicated() => Interlocked.Increment(ref _duplicated);

    internal void AddReordered() => Interlocked.Increment(ref _reordered);

    internal void AddCorrupted() => Interlocked.Increment(ref _corrupted);

    internal void AddOversize() => Interlocked.Increment(ref _oversize);

    /// <inheritdoc/>
    public override string ToString() =>
        $"sent={Sent} delivered={Delivered} lost={Lost} duplicated={Duplicated} reordered={Reordered} corrupted={Corrupted} oversize={Oversize} marked={Marked} congestionDropped={CongestionDropped}";
}
