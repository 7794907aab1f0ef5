using System.Globalization;
using System.Text.RegularExpressions;

namespace RxTcp.Cli;

/// <summary>Byte counts as people type and read them: <c>65536</c>, <c>64K</c>, <c>64M</c>, <c>1.5G</c>, <c>2GiB</c>.</summary>
internal static class ByteSize
{
    private const long KiB = 1024;
    private const long MiB = 1024 * KiB;
    private const long GiB = 1024 * MiB;
    private const long TiB = 1024 * GiB;

    private static readonly Regex Pattern = new(
        @"^(?<number>[0-9]{1,15}(\.[0-9]{1,6})?)\s*(?<unit>[KMGT])?(?:(?<i>i)B|B)?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>
    /// Parses a non-negative byte count with an optional binary suffix (K, M, G, T; optionally
    /// followed by <c>iB</c> or <c>B</c>; case-insensitive). <c>64M</c> is 64 MiB.
    /// </summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (text is null) return false;
        var match = Pattern.Match(text.Trim());
        if (!match.Success) return false;
        long unit = match.Groups["unit"].Value.ToUpperInvariant() switch
        {
            "K" => KiB,
            "M" => MiB,
            "G" => GiB,
            "T" => TiB,
            _ => 1,
        };
        if (unit == 1 && match.Groups["i"].Success) return false; // "64iB" has no unit letter
        var value = decimal.Parse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * unit;
        if (value > long.MaxValue || (unit == 1 && value != decimal.Truncate(value))) return false;
        bytes = (long)decimal.Round(value);
        return true;
    }

    /// <summary>Formats <paramref name="bytes"/> with the largest binary unit that keeps it at or above 1, e.g. <c>64.0 MiB</c>.</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= GiB => $"{bytes / (double)GiB:0.00} GiB",
        >= MiB => $"{bytes / (double)MiB:0.0} MiB",
        >= KiB => $"{bytes / (double)KiB:0.0} KiB",
        _ => $"{bytes} B",
    };
}
