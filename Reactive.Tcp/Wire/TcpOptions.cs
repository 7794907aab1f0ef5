namespace Reactive.Tcp.Wire;

/// <summary>
/// The TCP options a segment carries, as a value with no heap allocation. Absent options have
/// their <c>Has…</c> flag false (MSS 0 means absent). Unknown options are skipped when parsing.
/// </summary>
public struct TcpOptions
{
    /// <summary>Maximum segment size (kind 2); 0 when absent.</summary>
    public ushort Mss;

    /// <summary>Whether a window-scale option (kind 3) is present.</summary>
    public bool HasWindowScale;

    /// <summary>Window-scale shift count (kind 3).</summary>
    public byte WindowScale;

    /// <summary>SACK-permitted (kind 4).</summary>
    public bool SackPermitted;

    /// <summary>Whether a timestamps option (kind 8) is present.</summary>
    public bool HasTimestamps;

    /// <summary>Timestamp value (kind 8).</summary>
    public uint TsVal;

    /// <summary>Timestamp echo reply (kind 8).</summary>
    public uint TsEcr;

    /// <summary>Number of SACK blocks (kind 5) held in <see cref="Sack"/>, 0..4.</summary>
    public int SackCount;

    /// <summary>SACK blocks (kind 5).</summary>
    public SackBlockArray Sack;

    /// <summary>True when no option is present.</summary>
    public readonly bool IsEmpty => Mss == 0 && !HasWindowScale && !SackPermitted && !HasTimestamps && SackCount == 0;

    /// <summary>Most option bytes a TCP header can hold (data offset 15 × 4 − 20).</summary>
    public const int MaxWireLength = 40;

    /// <summary>
    /// Bytes these options take on the wire as <see cref="TcpCodec.Write"/> lays them out (Linux's
    /// layout, where each option is NOP-padded to a 4-byte boundary): always a multiple of four
    /// and at most <see cref="MaxWireLength"/>.
    /// </summary>
    public readonly int WireLength
    {
        get
        {
            int sack = WritableSackCount;
            return FixedWireLength + (sack > 0 ? 4 + 8 * sack : 0);
        }
    }

    /// <summary>
    /// How many of the <see cref="SackCount"/> blocks fit beside the other options (RFC 2018: at
    /// most 4, or 3 with timestamps). Only these are written; the rest are left out, as Linux does.
    /// </summary>
    public readonly int WritableSackCount
    {
        get
        {
            // NOP NOP kind length take 4 bytes, each block 8.
            int fit = (MaxWireLength - FixedWireLength - 4) / 8;
            return Math.Clamp(SackCount, 0, Math.Min(fit, 4));
        }
    }

    /// <summary>Bytes of every option except SACK blocks.</summary>
    private readonly int FixedWireLength
    {
        get
        {
            int n = 0;
            if (Mss != 0) n += 4;                 // MSS
            if (HasTimestamps) n += 12;           // SACK-permitted + TS, or NOP NOP TS
            else if (SackPermitted) n += 4;       // NOP NOP SACK-permitted
            if (HasWindowScale) n += 4;           // NOP WS
            return n;
        }
    }

    /// <summary>Options in tcpdump's notation, e.g. <c>mss 1460,sackOK,wscale 7</c>.</summary>
    public override readonly string ToString()
    {
        var parts = new List<string>();
        if (Mss != 0) parts.Add($"mss {Mss}");
        if (SackPermitted) parts.Add("sackOK");
        if (HasTimestamps) parts.Add($"TS val {TsVal} ecr {TsEcr}");
        if (HasWindowScale) parts.Add($"wscale {WindowScale}");
        if (SackCount > 0)
        {
            var blocks = new List<string>();
            for (int i = 0; i < SackCount; i++) blocks.Add($"{Sack[i].Left}:{Sack[i].Right}");
            parts.Add("sack " + SackCount + " {" + string.Join(" ", blocks) + "}");
        }
        return string.Join(",", parts);
    }
}
