namespace Reactive.Tcp.Wire;

/// <summary>
/// A TCP sequence number: 32-bit arithmetic modulo 2^32, compared by the sign of the difference
/// (RFC 9293 §3.4), so comparisons stay right across wrap-around as long as the two numbers are
/// within 2^31 of each other.
/// </summary>
/// <param name="Value">The raw 32-bit value.</param>
public readonly record struct SeqNum(uint Value) : IComparable<SeqNum>
{
    /// <summary>Advances by <paramref name="count"/> bytes (may be negative), wrapping.</summary>
    public static SeqNum operator +(SeqNum s, int count) => new(unchecked(s.Value + (uint)count));

    /// <summary>Moves back by <paramref name="count"/> bytes, wrapping.</summary>
    public static SeqNum operator -(SeqNum s, int count) => new(unchecked(s.Value - (uint)count));

    /// <summary>The signed distance <c>a - b</c> in bytes.</summary>
    public static int operator -(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value));

    /// <summary>True when <paramref name="a"/> comes before <paramref name="b"/>.</summary>
    public static bool operator <(SeqNum a, SeqNum b) => (a - b) < 0;

    /// <summary>True when <paramref name="a"/> comes after <paramref name="b"/>.</summary>
    public static bool operator >(SeqNum a, SeqNum b) => (a - b) > 0;

    /// <summary>True when <paramref name="a"/> is not after <paramref name="b"/>.</summary>
    public static bool operator <=(SeqNum a, SeqNum b) => (a - b) <= 0;

    /// <summary>True when <paramref name="a"/> is not before <paramref name="b"/>.</summary>
    public static bool operator >=(SeqNum a, SeqNum b) => (a - b) >= 0;

    /// <summary>The later of two sequence numbers.</summary>
    public static SeqNum Max(SeqNum a, SeqNum b) => a > b ? a : b;

    /// <summary>The earlier of two sequence numbers.</summary>
    public static SeqNum Min(SeqNum a, SeqNum b) => a < b ? a : b;

    /// <summary>True when <c>low &lt;= this &lt; high</c> (mod 2^32).</summary>
    public bool InRange(SeqNum low, SeqNum high) => this >= low && this < high;

    /// <inheritdoc />
    public int CompareTo(SeqNum other) => this - other;

    /// <summary>The raw value as text.</summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
