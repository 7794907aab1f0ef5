namespace Reactive.Tcp.Wire;

/// <summary>Thread-safe counters of dropped packets, one per <see cref="DropReason"/>.</summary>
public sealed class DropCounters
{
    private readonly long[] _counts = new long[Enum.GetValues<DropReason>().Length];

    /// <summary>Records one drop.</summary>
    public void Increment(DropReason reason) => Interlocked.Increment(ref _counts[(int)reason]);

    /// <summary>Drops recorded for <paramref name="reason"/>.</summary>
    public long this[DropReason reason] => Interlocked.Read(ref _counts[(int)reason]);

    /// <summary>All drops recorded, of every reason.</summary>
    public long Total
    {
        get
        {
            long sum = 0;
            for (int i = 1; i < _counts.Length; i++) sum += Interlocked.Read(ref _counts[i]);
            return sum;
        }
    }

    /// <summary>Non-zero counters as text, e.g. <c>BadTcpChecksum=3 Fragment=1</c>.</summary>
    public override string ToString() =>
        string.Join(" ", Enum.GetValues<DropReason>().Where(r => r != DropReason.None && this[r] != 0).Select(r => $"{r}={this[r]}"));
}
