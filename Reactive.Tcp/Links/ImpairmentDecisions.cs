namespace Reactive.Tcp.Links;

/// <summary>
/// The random decisions behind every impairment, shared by the single-purpose operators, the
/// composed <see cref="ImpairmentOperators.Impair"/> and <see cref="VirtualWire"/> so that they
/// cannot drift apart.
/// </summary>
internal static class ImpairmentDecisions
{
    /// <summary>
    /// Draws from <paramref name="rng"/> only when the outcome is actually uncertain: a disabled
    /// impairment then leaves the random sequence untouched, so turning one impairment on does not
    /// reshuffle the decisions of the others.
    /// </summary>
    public static bool Chance(Random rng, double p) =>
        p > 0 && (p >= 1 || rng.NextDouble() < p);

    /// <summary>Delay plus uniform jitter in [-jitter, +jitter], floored at zero.</summary>
    public static TimeSpan DrawDelay(TimeSpan delay, TimeSpan jitter, Random rng)
    {
        if (jitter <= TimeSpan.Zero)
        {
            return delay;
        }

        var offset = (long)((rng.NextDouble() * 2 - 1) * jitter.Ticks);
        var ticks = delay.Ticks + offset;
        return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(ticks);
    }

    /// <summary>
    /// What an ECN-aware queue does to a packet it would otherwise drop (RFC 3168 §5): an ECT(0) or
    /// ECT(1) IPv4 packet comes back as a copy marked CE (header checksum updated), a CE packet
    /// comes back as it is, and anything else (Not-ECT, or not IPv4 at all) gives null: drop it.
    /// The sender's buffer is never touched.
    /// </summary>
    public static ReadOnlyMemory<byte>? MarkCe(ReadOnlyMemory<byte> packet)
    {
        var span = packet.Span;
        if (span.Length < Wire.Ipv4Codec.MinHeaderLength || span[0] >> 4 != 4) return null;
        int headerLength = (span[0] & 0x0F) * 4;
        if (headerLength < Wire.Ipv4Codec.MinHeaderLength || headerLength > span.Length) return null;
        switch ((Wire.IpEcn)(span[1] & 0b11))
        {
            case Wire.IpEcn.NotEct: return null;
            case Wire.IpEcn.Ce: return packet;
        }
        var copy = packet.ToArray();
        copy[1] |= 0b11;
        copy[10] = copy[11] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(10), Wire.Checksum.Compute(copy.AsSpan(0, headerLength)));
        return copy;
    }

    /// <summary>
    /// Returns a copy of <paramref name="packet"/> with 1–3 distinct bits flipped. The sender's
    /// buffer is never touched: the wire may deliver the same buffer elsewhere (a duplicate), and
    /// the sender may still be looking at it. An empty packet has no bits to flip and comes back as is.
    /// </summary>
    public static ReadOnlyMemory<byte> CorruptCopy(ReadOnlyMemory<byte> packet, Random rng, out bool corrupted)
    {
        var bitCount = packet.Length * 8L;
        if (bitCount == 0)
        {
            corrupted = false;
            return packet;
        }

        var copy = packet.ToArray();
        var flips = (int)Math.Min(rng.Next(1, 4), bitCount);

        // Distinct positions: flipping one bit twice would silently undo the corruption.
        Span<long> chosen = stackalloc long[3];
        for (var i = 0; i < flips; i++)
        {
            long bit;
            do
            {
                bit = rng.NextInt64(bitCount);
            }
            while (chosen[..i].Contains(bit));

            chosen[i] = bit;
            copy[bit >> 3] ^= (byte)(1 << (int)(bit & 7));
        }

        corrupted = true;
        return copy;
    }
}
