namespace Reactive.Tcp.Links;

/// <summary>Settings of a <see cref="VirtualSwitch"/>.</summary>
public sealed record VirtualSwitchOptions
{
    /// <summary>Largest IP packet a frame may carry; frames longer than this plus the 14-byte header are dropped and counted as oversize.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>How long a learned address stays in the MAC table without being heard from (IEEE 802.1D and Linux bridges: 300 s).</summary>
    public TimeSpan AgeingTime { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Most addresses the MAC table holds; beyond it new addresses are not learned, so frames to them are flooded.</summary>
    public int MaxMacTableEntries { get; init; } = 8192;

    /// <summary>Seed of the addresses drawn for ports that are not given one.</summary>
    public int Seed { get; init; }
}
