using System.Numerics;

namespace Reactive.Tcp.Transport;

/// <summary>
/// SipHash-2-4 (Aumasson and Bernstein, 2012) over a fixed 128-bit key: a keyed hash that is
/// cheap enough to run on every SYN of a flood and allocates nothing. Used where an off-path
/// attacker must not be able to compute or predict the output (SYN cookies, initial sequence numbers).
/// </summary>
internal readonly struct SipHash
{
    private readonly ulong _k0, _k1;

    public SipHash(ReadOnlySpan<byte> key)
    {
        if (key.Length < 16) throw new ArgumentException("SipHash needs a 16-byte key.", nameof(key));
        _k0 = BitConverter.ToUInt64(key);
        _k1 = BitConverter.ToUInt64(key[8..]);
    }

    /// <summary>The 64-bit tag of three 64-bit words (all the cookie needs; the length is fixed, 24 bytes).</summary>
    public ulong Hash(ulong m0, ulong m1, ulong m2)
    {
        ulong v0 = _k0 ^ 0x736f6d6570736575UL;
        ulong v1 = _k1 ^ 0x646f72616e646f6dUL;
        ulong v2 = _k0 ^ 0x6c7967656e657261UL;
        ulong v3 = _k1 ^ 0x7465646279746573UL;
        Absorb(ref v0, ref v1, ref v2, ref v3, m0);
        Absorb(ref v0, ref v1, ref v2, ref v3, m1);
        Absorb(ref v0, ref v1, ref v2, ref v3, m2);
        // The final block holds only the message length (24) in its top byte.
        Absorb(ref v0, ref v1, ref v2, ref v3, 24UL << 56);
        v2 ^= 0xff;
        for (int i = 0; i < 4; i++) Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private static void Absorb(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3, ulong m)
    {
        v3 ^= m;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= m;
    }

    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1; v1 = BitOperations.RotateLeft(v1, 13); v1 ^= v0; v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3; v3 = BitOperations.RotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = BitOperations.RotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = BitOperations.RotateLeft(v1, 17); v1 ^= v2; v2 = BitOperations.RotateLeft(v2, 32);
    }
}
