using System.Reactive.Concurrency;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>Settings of one <see cref="VirtualSwitch"/> port: its address and the cable between it and its host.</summary>
public sealed record SwitchPortOptions
{
    /// <summary>The address the port suggests to its host (<see cref="IEthernetLink.Address"/>); null draws a locally administered one from the switch's seed.</summary>
    public MacAddress? Address { get; init; }

    /// <summary>
    /// Impairments of the frames the host sends into the switch, applied once per frame before it
    /// is forwarded or flooded. <see cref="Impairments.CongestionMark"/> is not supported (it reads
    /// an IPv4 header where an Ethernet frame has its addresses).
    /// </summary>
    public Impairments ToSwitch { get; init; } = Impairments.None;

    /// <summary>Impairments of the frames the switch delivers to the host, applied to each copy a flood makes independently.</summary>
    public Impairments FromSwitch { get; init; } = Impairments.None;

    /// <summary>Scheduler for deliveries (and delays) towards this port's host; null uses the switch's. One per stack keeps each stack on its own thread.</summary>
    public IScheduler? Scheduler { get; init; }

    /// <summary>The same impairments both ways; the switch-to-host direction gets seed + 1 so the two do not mirror each other.</summary>
    public static SwitchPortOptions Symmetric(Impairments impairments)
    {
        ArgumentNullException.ThrowIfNull(impairments);
        return new SwitchPortOptions { ToSwitch = impairments, FromSwitch = impairments with { Seed = unchecked(impairments.Seed + 1) } };
    }
}
