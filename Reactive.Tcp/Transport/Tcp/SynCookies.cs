using System.Security.Cryptography;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// SYN cookies (RFC 4987 §3.6): when a listener's SYN queue is full, the SYN-ACK's initial
/// sequence number carries everything the stack would have remembered, so no state is kept until
/// the peer's ACK proves it received the SYN-ACK.
/// </summary>
/// <remarks>
/// The 32-bit cookie is <c>period:5 | (tag + mssIndex) mod 2^27</c>: the low five bits of a coarse
/// clock (one <see cref="Period"/>), then a 27-bit SipHash tag of the 4-tuple, the peer's ISN and
/// the full period number, keyed with a per-stack secret, offset by the index of the peer's MSS in
/// <see cref="MssTable"/>. Validating recomputes the tag for the period named in the top bits (only
/// the current one or the one before it is accepted) and recovers the index as the offset, which
/// must fall inside the table: a guessed cookie passes with probability 4 / 2^27 per period.
/// When the SYN carried timestamps, the peer's window scale and SACK-permitted ride in the low six
/// bits of the SYN-ACK's TSval (<see cref="TsValFor"/>), which the peer echoes in the ACK's TSecr;
/// without timestamps the cookie SYN-ACK offers none of the three, so both ends do without.
/// </remarks>
internal sealed class SynCookies
{
    /// <summary>How long one clock period lasts; a cookie is good for one to two periods.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(64);

    /// <summary>The peer MSS values a cookie can say (RFC 879 default, IPv6-safe, common tunnelled and Ethernet).</summary>
    public static readonly ushort[] MssTable = [536, 1220, 1440, 1460];

    private const int TagBits = 27;
    private const uint TagMask = (1u << TagBits) - 1;
    private readonly SipHash _hash;

    /// <summary>Keys the cookies with <paramref name="secret"/> (16 bytes or more), or a random one when null.</summary>
    public SynCookies(byte[]? secret)
    {
        _hash = new SipHash(secret ?? RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>The cookie for a SYN with sequence number <paramref name="peerIsn"/> and MSS option <paramref name="peerMss"/> (0 when absent).</summary>
    /// <param name="key">The 4-tuple, from our side.</param>
    /// <param name="peerIsn">The SYN's sequence number.</param>
    /// <param name="peerMss">The SYN's MSS option, 0 when absent.</param>
    /// <param name="nowTicks">Current time in ticks.</param>
    /// <param name="mssUsed">The MSS the cookie encodes: the largest table entry not above the peer's.</param>
    public uint Make(ConnectionKey key, SeqNum peerIsn, int peerMss, long nowTicks, out int mssUsed)
    {
        int index = 0;
        for (int i = MssTable.Length - 1; i > 0; i--)
            if (MssTable[i] <= peerMss) { index = i; break; }
        mssUsed = MssTable[index];
        long period = nowTicks / Period.Ticks;
        uint tag = Tag(key, peerIsn, period);
        return ((uint)(period & 0x1F) << TagBits) | ((tag + (uint)index) & TagMask);
    }

    /// <summary>
    /// Checks the cookie an ACK returns (its acknowledgment number less one) for the SYN whose ISN
    /// is <paramref name="peerIsn"/> (the ACK's sequence number less one).
    /// </summary>
    /// <param name="key">The 4-tuple, from our side.</param>
    /// <param name="peerIsn">The ACK's sequence number less one.</param>
    /// <param name="cookie">The ACK's acknowledgment number less one.</param>
    /// <param name="nowTicks">Current time in ticks.</param>
    /// <param name="mss">The peer's MSS the cookie carried, when valid.</param>
    public bool TryValidate(ConnectionKey key, SeqNum peerIsn, uint cookie, long nowTicks, out int mss)
    {
        mss = 0;
        long now = nowTicks / Period.Ticks;
        long age = (now - (cookie >> TagBits)) & 0x1F;
        if (age > 1) return false;
        long period = now - age;
        if (period < 0) return false;
        uint index = ((cookie & TagMask) - Tag(key, peerIsn, period)) & TagMask;
        if (index >= MssTable.Length) return false;
        mss = MssTable[index];
        return true;
    }

    /// <summary>The option bits for the TSval: peer window shift (0..14, 15 = none) and SACK-permitted.</summary>
    public static uint EncodeOptions(int peerWindowShift, bool sackPermitted) =>
        (uint)(peerWindowShift is >= 0 and <= 14 ? peerWindowShift : 15) | (sackPermitted ? 0x10u : 0);

    /// <summary>
    /// Our TSval in a cookie SYN-ACK: the millisecond clock with its low six bits replaced by
    /// <paramref name="options"/>, never ahead of the clock (later segments' TSvals must not go back).
    /// </summary>
    public static uint TsValFor(uint nowMs, uint options)
    {
        uint value = (nowMs & ~0x3Fu) | options;
        return value > nowMs ? unchecked(value - 64) : value;
    }

    /// <summary>The options an ACK's TSecr echoes back; false when the bits cannot come from <see cref="EncodeOptions"/>.</summary>
    public static bool TryDecodeOptions(uint tsEcr, out int peerWindowShift, out bool sackPermitted)
    {
        uint shift = tsEcr & 0xF;
        peerWindowShift = shift == 15 ? -1 : (int)shift;
        sackPermitted = (tsEcr & 0x10) != 0;
        return (tsEcr & 0x20) == 0;
    }

    private uint Tag(ConnectionKey key, SeqNum peerIsn, long period)
    {
        ulong addresses = ((ulong)key.LocalAddress.Value << 32) | key.RemoteAddress.Value;
        ulong portsAndIsn = ((ulong)key.LocalPort << 48) | ((ulong)key.RemotePort << 32) | peerIsn.Value;
        return (uint)_hash.Hash(addresses, portsAndIsn, (ulong)period) & TagMask;
    }
}
