using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Rx;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Network;

/// <summary>
/// The end of the stack's one outbound stream: routes each packet (longest prefix), fragments a
/// datagram that may be fragmented and is larger than the outgoing interface's MTU, and hands it to
/// that interface, whose <see cref="NetworkInterface.Transmit"/> writes it to the link. A packet no
/// route covers is dropped and counted (<see cref="DropReason.NoRoute"/>).
/// </summary>
internal sealed class Ipv4Output(RoutingTable routes, DropCounters drops, NetworkCounters counters, FaultCounter faults) : IObserver<OutboundPacket>
{
    private int _nextIdentification;

    /// <inheritdoc />
    public void OnNext(OutboundPacket value)
    {
        var packet = value.Packet;
        try
        {
            if (!routes.TryLookup(value.Destination, out var nic, out var nextHop))
            {
                drops.Increment(DropReason.NoRoute);
                packet.Release();
                return;
            }
            // Segments carry Don't Fragment (path MTU discovery); a TCP super-segment larger than
            // the MTU is the link's to cut (segmentation offload), so only datagrams that allow it
            // are fragmented here.
            if (packet.Length <= nic.Mtu || DontFragment(packet.Span))
            {
                nic.Transmit(packet, nextHop);
                return;
            }
            Fragment(packet, nic, nextHop);
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

    private static bool DontFragment(ReadOnlySpan<byte> packet) => (packet[6] & 0x40) != 0;

    private void Fragment(PooledPacket packet, NetworkInterface nic, IPv4Address nextHop)
    {
        byte[][] fragments;
        try
        {
            // Only fragmented datagrams need an identification that differs from the last one's (RFC 6864).
            Ipv4Fragmenter.SetIdentification(packet.Span, (ushort)++_nextIdentification);
            fragments = Ipv4Fragmenter.Fragment(packet.Span, nic.Mtu);
        }
        finally
        {
            packet.Release();
        }
        foreach (var fragment in fragments)
        {
            nic.Transmit(PooledPacket.CopyOf(fragment), nextHop);
            counters.FragmentSent();
        }
    }
}
