using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// The end of the inbound pipeline's network part: each packet the network layer delivers goes to
/// its transport by protocol (an ICMP error by the protocol of the packet it quotes).
/// </summary>
internal sealed class TransportDemux(IObserver<InboundPacket> tcp, IObserver<InboundPacket> udp, DropCounters drops) : IObserver<InboundPacket>
{
    /// <inheritdoc />
    public void OnNext(InboundPacket value)
    {
        var protocol = value.Kind switch
        {
            PacketKind.Tcp => IpProtocol.Tcp,
            PacketKind.Udp => IpProtocol.Udp,
            PacketKind.IcmpError => value.IcmpError.QuotedProtocol,
            _ => IpProtocol.Icmp,
        };
        if (protocol == IpProtocol.Tcp) tcp.OnNext(value);
        else if (protocol == IpProtocol.Udp) udp.OnNext(value);
        else drops.Increment(DropReason.IcmpNoConnection); // an error about a protocol no transport here speaks
    }

    /// <inheritdoc />
    public void OnError(Exception error)
    {
        tcp.OnError(error);
        udp.OnError(error);
    }

    /// <inheritdoc />
    public void OnCompleted()
    {
        tcp.OnCompleted();
        udp.OnCompleted();
    }
}
