using System.Diagnostics.CodeAnalysis;

namespace Reactive.Tcp.Wire;

/// <summary>
/// An IEEE 802 MAC-48 (Ethernet) address held in the low 48 bits of a <see cref="ulong"/>, first
/// octet most significant, so it compares and hashes without allocating. Text form is six
/// lower-case hex pairs separated by colons: <c>02:00:00:00:00:01</c>.
/// </summary>
public readonly record struct MacAddress : IComparable<MacAddress>
{
    /// <summary>Bytes in an address.</summary>
    public const int Length = 6;

    private const ulong Mask = 0xFFFF_FFFF_FFFF;
    private const ulong GroupBit = 0x01UL << 40;       // I/G bit: least significant bit of the first octet
    private const ulong LocalBit = 0x02UL << 40;       // U/L bit: next bit of the first octet

    /// <summary>Creates an address from its 48-bit value (02:00:00:00:00:01 is 0x020000000001).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> has bits above the 48th.</exception>
    public MacAddress(ulong value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Mask);
        Value = value;
    }

    /// <summary>The address as a 48-bit number, first octet most significant.</summary>
    public ulong Value { get; }

    /// <summary>00:00:00:00:00:00, which no station uses (ARP's "unknown" target hardware address).</summary>
    public static MacAddress Zero => default;

    /// <summary>ff:ff:ff:ff:ff:ff, every station on the segment.</summary>
    public static MacAddress Broadcast { get; } = new(Mask);

    /// <summary>True for 00:00:00:00:00:00.</summary>
    public bool IsZero => Value == 0;

    /// <summary>True for ff:ff:ff:ff:ff:ff.</summary>
    public bool IsBroadcast => Value == Mask;

    /// <summary>True when the group (I/G) bit is set: a multicast address, broadcast included.</summary>
    public bool IsMulticast => (Value & GroupBit) != 0;

    /// <summary>True for an address one station may own: neither zero nor a group address.</summary>
    public bool IsUnicast => !IsMulticast && !IsZero;

    /// <summary>True when the U/L bit is set: the address was assigned locally, not by the maker (IEEE 802 §8.2).</summary>
    public bool IsLocallyAdministered => (Value & LocalBit) != 0;

    /// <summary>Reads six bytes in transmission order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="source"/> is shorter than six bytes.</exception>
    public static MacAddress Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Length) throw new ArgumentOutOfRangeException(nameof(source), "A MAC address is six bytes.");
        ulong value = 0;
        for (int i = 0; i < Length; i++) value = (value << 8) | source[i];
        return new MacAddress(value);
    }

    /// <summary>Writes the six bytes in transmission order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="destination"/> is shorter than six bytes.</exception>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Length) throw new ArgumentOutOfRangeException(nameof(destination), "A MAC address is six bytes.");
        for (int i = 0; i < Length; i++) destination[i] = (byte)(Value >> (8 * (Length - 1 - i)));
    }

    /// <summary>Parses six hex pairs separated by colons or by hyphens (<c>02:00:00:00:00:01</c>, <c>02-00-00-00-00-01</c>), in either case.</summary>
    /// <exception cref="FormatException">The text is not a MAC address.</exception>
    public static MacAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not a MAC address (six hex pairs separated by ':', e.g. 02:00:00:00:00:01).");

    /// <summary>Parses like <see cref="Parse"/>; returns false when the text is not a MAC address.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress address)
    {
        address = default;
        if (text is null || text.Length != 17) return false;
        char separator = text[2];
        if (separator is not (':' or '-')) return false;
        ulong value = 0;
        for (int i = 0; i < Length; i++)
        {
            int at = i * 3;
            if (i > 0 && text[at - 1] != separator) return false;
            int high = HexValue(text[at]), low = HexValue(text[at + 1]);
            if (high < 0 || low < 0) return false;
            value = (value << 8) | (uint)(high << 4 | low);
        }
        address = new MacAddress(value);
        return true;
    }

    /// <summary>
    /// A random locally administered unicast address (U/L bit set, I/G bit clear), as hypervisors
    /// and <c>ip link add … type tap</c> make them: the other 46 bits come from <paramref name="random"/>.
    /// </summary>
    public static MacAddress NewLocallyAdministered(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Length];
        random.NextBytes(bytes);
        bytes[0] = (byte)((bytes[0] & 0xFC) | 0x02);
        return Read(bytes);
    }

    /// <summary>A locally administered unicast address drawn from a <see cref="Random"/> seeded with <paramref name="seed"/>: the same seed gives the same address.</summary>
    public static MacAddress NewLocallyAdministered(int seed) => NewLocallyAdministered(new Random(seed));

    /// <summary>
    /// The Ethernet group address of an IPv4 multicast group (RFC 1112 §6.4): 01:00:5e followed by
    /// the group's low 23 bits.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not in 224.0.0.0/4.</exception>
    public static MacAddress FromIPv4Multicast(IPv4Address group)
    {
        if (group.Value >> 28 != 0xE) throw new ArgumentException($"{group} is not an IPv4 multicast address.", nameof(group));
        return new MacAddress(0x01_00_5E_00_00_00UL | (group.Value & 0x7F_FFFF));
    }

    /// <inheritdoc />
    public int CompareTo(MacAddress other) => Value.CompareTo(other.Value);

    /// <summary>Six lower-case hex pairs separated by colons.</summary>
    public override string ToString() => string.Create(17, Value, static (chars, value) =>
    {
        const string Hex = "0123456789abcdef";
        for (int i = 0; i < Length; i++)
        {
            var b = (int)(value >> (8 * (Length - 1 - i))) & 0xFF;
            int at = i * 3;
            if (i > 0) chars[at - 1] = ':';
            chars[at] = Hex[b >> 4];
            chars[at + 1] = Hex[b & 0xF];
        }
    });

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
