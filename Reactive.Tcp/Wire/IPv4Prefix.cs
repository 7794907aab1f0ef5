using System.Diagnostics.CodeAnalysis;

namespace Reactive.Tcp.Wire;

/// <summary>An IPv4 network prefix such as <c>192.0.2.0/24</c>: a route's destination or an interface's on-link network.</summary>
public readonly record struct IPv4Prefix
{
    /// <summary>Makes a prefix; the address's host bits are cleared.</summary>
    /// <param name="address">Any address inside the network.</param>
    /// <param name="length">Prefix length, 0 (everything) to 32 (one host).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is outside 0–32.</exception>
    public IPv4Prefix(IPv4Address address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 32);
        Length = length;
        Network = new IPv4Address(address.Value & MaskOf(length));
    }

    /// <summary>Every address (the default route's destination).</summary>
    public static IPv4Prefix Any => new(IPv4Address.Any, 0);

    /// <summary>The network address (host bits zero).</summary>
    public IPv4Address Network { get; }

    /// <summary>Prefix length in bits.</summary>
    public int Length { get; }

    /// <summary>The netmask as a host-order value.</summary>
    public uint Mask => MaskOf(Length);

    /// <summary>Whether <paramref name="address"/> lies inside this prefix.</summary>
    public bool Contains(IPv4Address address) => (address.Value & Mask) == Network.Value;

    /// <summary>Parses <c>a.b.c.d/n</c>, or a bare address as a /32.</summary>
    /// <exception cref="FormatException">The text is not a prefix.</exception>
    public static IPv4Prefix Parse(string text) =>
        TryParse(text, out var prefix) ? prefix : throw new FormatException($"'{text}' is not an IPv4 prefix (a.b.c.d/n).");

    /// <summary>Parses <c>a.b.c.d/n</c>, or a bare address as a /32; false when the text is neither.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out IPv4Prefix prefix)
    {
        prefix = default;
        if (text is null) return false;
        int slash = text.IndexOf('/');
        int length = 32;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out length) || length > 32)) return false;
        if (!IPv4Address.TryParse(slash >= 0 ? text[..slash] : text, out var address)) return false;
        prefix = new IPv4Prefix(address, length);
        return true;
    }

    /// <summary><c>a.b.c.d/n</c>.</summary>
    public override string ToString() => $"{Network}/{Length}";

    private static uint MaskOf(int length) => length == 0 ? 0u : uint.MaxValue << (32 - length);
}
