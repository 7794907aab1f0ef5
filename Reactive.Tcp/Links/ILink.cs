namespace Reactive.Tcp.Links;

/// <summary>
/// A point-to-point IP link: raw IPv4 packets in, raw IPv4 packets out (no link-layer header).
/// Inbound packet memory is only valid during the <c>OnNext</c> call that delivers it.
/// </summary>
public interface ILink : IDisposable
{
    /// <summary>Packets arriving from the link.</summary>
    IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <summary>Sends one packet. The link takes ownership of <paramref name="packet"/>'s buffer.</summary>
    void Send(ReadOnlyMemory<byte> packet);

    /// <summary>Largest IPv4 packet the link carries.</summary>
    int Mtu { get; }
}
