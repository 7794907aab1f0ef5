using System.Diagnostics.CodeAnalysis;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>
/// An address a stack holds on one interface, with the length of its on-link prefix:
/// <c>192.0.2.2/24</c> is the address 192.0.2.2 on the network 192.0.2.0/24 (reached without a
/// gateway). A point-to-point interface (TUN) holds its address as a /32.
/// </summary>
/// <param name="Address">The stack's address.</param>
/// <param name="PrefixLength">Length of the on-link prefix, 0–32.</param>
public readonly record struct InterfaceAddress(IPv4Address Address, int PrefixLength)
{
    /// <summary>The on-link network this address belongs to.</summary>
    public IPv4Prefix Network => new(Address, PrefixLength);

    /// <summary>Parses <c>a.b.c.d/n</c>, or a bare address as a /32.</summary>
    /// <exception cref="FormatException">The text is not an address with an optional prefix length.</exception>
    public static InterfaceAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not an interface address (a.b.c.d or a.b.c.d/n).");

    /// <summary>Parses <c>a.b.c.d/n</c>, or a bare address as a /32; false when the text is neither.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out InterfaceAddress address)
    {
        address = default;
        if (text is null) return false;
        int slash = text.IndexOf('/');
        if (!IPv4Address.TryParse(slash >= 0 ? text[..slash] : text, out var ip) || !IPv4Prefix.TryParse(text, out var prefix)) return false;
        address = new InterfaceAddress(ip, prefix.Length);
        return true;
    }

    /// <summary><c>a.b.c.d/n</c>.</summary>
    public override string ToString() => $"{Address}/{PrefixLength}";
}
