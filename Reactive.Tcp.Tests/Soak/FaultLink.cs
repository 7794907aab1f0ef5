using System.Buffers.Binary;
using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Soak;

/// <summary>
/// A stack's end of the soak wire. Outbound, it silently drops TCP packets of blackholed paths (a
/// client port whose path died, or a server port whose SYNs go nowhere), passing pooled packets on
/// without copying them and releasing the ones it drops. Inbound, it withholds corrupted copies
/// that the Internet checksum cannot catch (as the simulation's WireTap does): they are the
/// wire's fault, not the stack's, and would otherwise fail the byte-exact check.
/// </summary>
internal sealed class FaultLink : ILink
{
    private readonly ILink _inner;
    private readonly bool _isClient;
    private readonly HashSet<ushort> _deadClientPorts;
    private readonly HashSet<ushort> _deadServerPorts;

    // Buffers this side of the wire handed on: an arrival in any other buffer is a corrupted copy.
    // Weak, so the table never keeps a released or unpooled buffer alive (it would look like a leak).
    private readonly ConditionalWeakTable<byte[], object> _sent;

    public FaultLink(ILink inner, bool isClient, HashSet<ushort> deadClientPorts, HashSet<ushort> deadServerPorts, ConditionalWeakTable<byte[], object> sent)
    {
        _inner = inner;
        _isClient = isClient;
        _deadClientPorts = deadClientPorts;
        _deadServerPorts = deadServerPorts;
        _sent = sent;
        Inbound = inner.Inbound.Where(Admit);
    }

    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    public int Mtu => _inner.Mtu;

    /// <summary>Packets dropped because their path was blackholed.</summary>
    public long Blackholed { get; private set; }

    /// <summary>Corrupted arrivals that still pass every checksum, withheld (the stack sees a loss).</summary>
    public long ChecksumBlind { get; private set; }

    public void Send(ReadOnlyMemory<byte> packet)
    {
        if (IsDead(packet.Span)) { Blackholed++; return; }
        Remember(packet);
        _inner.Send(packet);
    }

    public void Send(PooledPacket packet)
    {
        var bytes = packet.Memory;
        if (IsDead(bytes.Span))
        {
            Blackholed++;
            packet.Release();
            return;
        }
        Remember(bytes);
        _inner.Send(packet);
    }

    public void Dispose() => _inner.Dispose();

    private void Remember(ReadOnlyMemory<byte> packet)
    {
        if (MemoryMarshal.TryGetArray(packet, out var segment) && segment.Array is { } array) _sent.AddOrUpdate(array, this);
    }

    private bool Admit(ReadOnlyMemory<byte> packet)
    {
        if (MemoryMarshal.TryGetArray(packet, out var segment) && segment.Array is { } array && _sent.TryGetValue(array, out _)) return true;
        // A corrupted copy: let the stack see it only if some checksum or check will reject it.
        if (PacketParser.Parse(packet, out _) != DropReason.None) return true;
        ChecksumBlind++;
        return false;
    }

    private bool IsDead(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20 || packet[9] != 6) return false;
        int ihl = (packet[0] & 0xF) * 4;
        if (packet.Length < ihl + 4) return false;
        ushort source = BinaryPrimitives.ReadUInt16BigEndian(packet[ihl..]);
        ushort destination = BinaryPrimitives.ReadUInt16BigEndian(packet[(ihl + 2)..]);
        var (clientPort, serverPort) = _isClient ? (source, destination) : (destination, source);
        return _deadClientPorts.Contains(clientPort) || _deadServerPorts.Contains(serverPort);
    }
}
