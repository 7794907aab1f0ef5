using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// A packet on its way through a wire or an impairment queue: the bytes, and the pooled buffer
/// they live in when there is one (null for a garbage-collected array, which needs no release).
/// </summary>
internal readonly struct WirePacket(ReadOnlyMemory<byte> memory, PooledPacket? owner)
{
    public ReadOnlyMemory<byte> Memory { get; } = memory;

    public PooledPacket? Owner { get; } = owner;

    public static WirePacket Unowned(ReadOnlyMemory<byte> memory) => new(memory, null);

    public static WirePacket Pooled(PooledPacket packet) => new(packet.Memory, packet);

    /// <summary>A second handle on the same bytes, holding its own reference.</summary>
    public WirePacket Share() => new(Memory, Owner?.AddRef());

    /// <summary>Gives this handle's reference back; the bytes must not be read afterwards.</summary>
    public void Release() => Owner?.Release();
}

/// <summary>Where an <see cref="Impairer"/> puts the packets that survive it.</summary>
internal interface IPacketQueue
{
    /// <summary>Takes over <paramref name="packet"/>'s reference and delivers it <paramref name="delay"/> from now.</summary>
    void Enqueue(WirePacket packet, TimeSpan delay);
}
