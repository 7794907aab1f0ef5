using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Reactive.Tcp.Wire;

/// <summary>An IPv4 address held as a host-order 32-bit value, so it can be compared and hashed without allocating.</summary>
/// <param name="Value">The address in host byte order (192.0.2.1 is 0xC0000201).</param>
public readonly record struct IPv4Address(uint Value) : IComparable<IPv4Address>
{
    /// <summary>0.0.0.0.</summary>
    public static IPv4Address Any => default;

    /// <summary>Parses dotted-quad text such as <c>192.0.2.1</c>.</summary>
    /// <exception cref="FormatException">The text is not an IPv4 address.</exception>
    public static IPv4Address Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not an IPv4 address.");

    /// <summary>Parses dotted-quad text; returns false when it is not an IPv4 address.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out IPv4Address address)
    {
        address = default;
        if (text is null || !IPAddress.TryParse(text, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            return false;
        Span<byte> bytes = stackalloc byte[4];
        ip.TryWriteBytes(bytes, out _);
        address = new IPv4Address(BinaryPrimitives.ReadUInt32BigEndian(bytes));
        return true;
    }

    /// <summary>Reads an address stored in network byte order.</summary>
    public static IPv4Address Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt32BigEndian(source));

    /// <summary>Writes the address in network byte order.</summary>
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, Value);

    /// <summary>Converts to <see cref="IPAddress"/>.</summary>
    public IPAddress ToIPAddress() => new(new[] { (byte)(Value >> 24), (byte)(Value >> 16), (byte)(Value >> 8), (byte)Value });

    /// <inheritdoc />
    public int CompareTo(IPv4Address other) => Value.CompareTo(other.Value);

    /// <summary>Dotted-quad text.</summary>
    public override string ToString() => $"{Value >> 24}.{(Value >> 16) & 0xFF}.{(Value >> 8) & 0xFF}.{Value & 0xFF}";
}
