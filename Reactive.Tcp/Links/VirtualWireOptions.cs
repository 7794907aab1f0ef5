namespace Reactive.Tcp.Links;

/// <summary>Settings of a <see cref="VirtualWire"/>.</summary>
public sealed record VirtualWireOptions
{
    /// <summary>Largest packet, in bytes, either end carries; larger ones are dropped and counted as oversize.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>Impairments applied to packets sent by <see cref="VirtualWire.EndA"/>.</summary>
    public Impairments AToB { get; init; } = Impairments.None;

    /// <summary>Impairments applied to packets sent by <see cref="VirtualWire.EndB"/>.</summary>
    public Impairments BToA { get; init; } = Impairments.None;

    /// <summary>Options with the same impairments both ways; the B→A direction gets seed + 1 so the two directions don't mirror each other.</summary>
    /// <param name="impairments">Impairments for both directions.</param>
    /// <param name="mtu">Largest packet carried.</param>
    public static VirtualWireOptions Symmetric(Impairments impairments, int mtu = 1500)
    {
        ArgumentNullException.ThrowIfNull(impairments);
        return new VirtualWireOptions
        {
            Mtu = mtu,
            AToB = impairments,
            BToA = impairments with { Seed = unchecked(impairments.Seed + 1) },
        };
    }
}
