using System.Security.Cryptography;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// Initial sequence numbers per RFC 6528: a 4-microsecond clock plus a keyed hash of the 4-tuple,
/// so an off-path attacker cannot predict them and successive incarnations of one 4-tuple move forward.
/// </summary>
public sealed class IsnGenerator
{
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);

    /// <summary>The ISN for <paramref name="key"/> at <paramref name="nowTicks"/> (100 ns ticks).</summary>
    public uint Next(ConnectionKey key, long nowTicks)
    {
        Span<byte> tuple = stackalloc byte[12];
        key.LocalAddress.Write(tuple);
        key.RemoteAddress.Write(tuple[4..]);
        tuple[8] = (byte)(key.LocalPort >> 8);
        tuple[9] = (byte)key.LocalPort;
        tuple[10] = (byte)(key.RemotePort >> 8);
        tuple[11] = (byte)key.RemotePort;
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_secret, tuple, hash);
        uint f = BitConverter.ToUInt32(hash);
        uint m = (uint)(nowTicks / 40); // 4 µs units
        return unchecked(m + f);
    }
}
