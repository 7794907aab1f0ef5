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
