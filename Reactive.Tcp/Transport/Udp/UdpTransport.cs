using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Network;
using Reactive.Tcp.Rx;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// The UDP transport of a stack: per-port bindings for arriving datagrams (a datagram nobody takes
/// is dropped, counted, and answered with port unreachable under the stack's ICMP rate limit), and
/// datagrams the application sends, onto the stack's outbound stream.
/// </summary>
internal sealed class UdpTransport(Serializer serializer, IcmpErrorSender icmpErrors, DropCounters drops, NetworkCounters counters, FaultCounter faults)
    : IObserver<InboundPacket>, IDisposable
{
    private readonly Dictionary<ushort, IObserver<UdpMessage>> _bindings = new();
    private readonly Subject<OutboundPacket> _outbound = new();

    /// <summary>Every datagram the transport sends.</summary>
    public IObservable<OutboundPacket> Outbound => _outbound;

    /// <summary>Binds <paramref name="port"/> to the subscriber while subscribed (see <c>TcpStack.ReceiveUdp</c>).</summary>
    public IObservable<UdpMessage> Receive(ushort port) => Observable.Create<UdpMessage>(observer =>
    {
        lock (serializer.Gate)
        {
            if (port == 0 || !_bindings.TryAdd(port, observer))
            {
                observer.OnError(new InvalidOperationException($"UDP port {port} is already bound."));
                return Disposable.Empty;
            }
        }
        return Disposable.Create(() =>
        {
            lock (serializer.Gate)
            {
                if (_bindings.TryGetValue(port, out var current) && current == observer) _bindings.Remove(port);
            }
        });
    });

    /// <summary>
    /// Sends one datagram from <paramref name="source"/>. Larger than the outgoing link's MTU, it
    /// leaves as IPv4 fragments (the outbound writer cuts it).
    /// </summary>
    /// <exception cref="ArgumentException">The datagram exceeds what one IPv4 packet can hold (65,507 payload bytes).</exception>
    public void Send(IPv4Address source, UdpMessage message)
    {
        var packet = PacketBuilder.BuildUdp(source, message.RemoteAddress, message.LocalPort, message.RemotePort, message.Data.Span);
        lock (serializer.Gate) _outbound.OnNext(new OutboundPacket(PooledPacket.CopyOf(packet)));
    }

    /// <summary>A datagram, or an ICMP error about one of ours, from the network layer.</summary>
    public void OnNext(InboundPacket packet)
    {
        try
        {
            if (packet.Kind == PacketKind.IcmpError)
            {
                // The datagram API has no error channel: the error is counted, nothing more.
                counters.IcmpErrorReceived();
                return;
            }
            if (_bindings.TryGetValue(packet.Udp.DestinationPort, out var binding))
            {
                binding.OnNext(new UdpMessage(packet.Ip.Source, packet.Udp.SourcePort, packet.Udp.DestinationPort, packet.Udp.Payload.ToArray()));
                return;
            }
            drops.Increment(DropReason.NoConnection);
            icmpErrors.PortUnreachable(packet.Packet.Span);
        }
        catch (Exception)
        {
            faults.Record();
        }
    }

    /// <inheritdoc />
    public void OnError(Exception error)
    {
    }

    /// <inheritdoc />
    public void OnCompleted()
    {
    }

    /// <inheritdoc />
    public void Dispose() => _outbound.OnCompleted();
}
