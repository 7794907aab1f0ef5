using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// A point-to-point IP link: raw IPv4 packets in, raw IPv4 packets out (no link-layer header).
/// Inbound packet memory is only valid during the <c>OnNext</c> call that delivers it.
/// </summary>
/// <remarks>
/// <para>Two ways to send, with different buffer ownership:</para>
/// <list type="bullet">
/// <item><see cref="Send(ReadOnlyMemory{byte})"/>: the caller gives the buffer away for good
/// (typically a fresh array); it never writes to it again, and the garbage collector reclaims it.
/// The link may keep it as long as it likes.</item>
/// <item><see cref="Send(PooledPacket)"/>: the caller hands over one reference to a pooled buffer
/// and must not touch the packet afterwards. The link owns that reference and releases it exactly
/// once, when nobody can read the bytes any more: after writing them (a device), after the
/// receiving end's <c>OnNext</c> has returned (an in-memory wire, which is why inbound memory is
/// only valid during <c>OnNext</c>), or right away after copying them (a link that keeps history).
/// A link that delivers a packet twice takes one extra reference with
/// <see cref="PooledPacket.AddRef"/>; one that drops it releases it. A decorator passes the
/// reference on to the link it wraps and must not read the packet after that.</item>
/// </list>
/// <para>A link that only implements the first overload gets a default for the second that copies
/// the packet into a new array and releases the pooled buffer at once: correct for any link, at
/// the price of one allocation per packet.</para>
/// </remarks>
public interface ILink : IDisposable
{
    /// <summary>Packets arriving from the link.</summary>
    IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <summary>Sends one packet. The link takes ownership of <paramref name="packet"/>'s buffer, which the caller never reuses.</summary>
    void Send(ReadOnlyMemory<byte> packet);

    /// <summary>
    /// Sends one packet held in a pooled buffer, taking over one reference to it: the link releases
    /// it once nothing can read the bytes any more (see the remarks on <see cref="ILink"/>).
    /// </summary>
    /// <param name="packet">The packet; the caller must not use it after this call.</param>
    void Send(PooledPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        byte[] copy;
        try
        {
            copy = packet.Memory.ToArray();
        }
        finally
        {
            packet.Release();
        }
        Send(copy);
    }

    /// <summary>Largest IPv4 packet the link carries.</summary>
    int Mtu { get; }
}
