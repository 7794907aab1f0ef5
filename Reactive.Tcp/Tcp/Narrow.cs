namespace Reactive.Tcp.Tcp;

/// <summary>
/// Conversions into the narrow fields that keep an idle connection small (issue 5). Each value's
/// range fits its field (windows ≤ 65535 &lt;&lt; 14, shifts ≤ 14, MSS and segment sizes ≤ 65535,
/// small counters); the clamp only guards against a value outside it wrapping into a wrong one.
/// </summary>
internal static class Narrow
{
    public static int ToInt(long value) => (int)Math.Clamp(value, int.MinValue, int.MaxValue);

    public static ushort ToUShort(int value) => (ushort)Math.Clamp(value, 0, ushort.MaxValue);

    public static byte ToByte(int value) => (byte)Math.Clamp(value, 0, byte.MaxValue);
}
