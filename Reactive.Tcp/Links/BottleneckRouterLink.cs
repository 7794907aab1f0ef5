using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// An <see cref="ILink"/> decorator that plays a router with a smaller next-hop MTU on the path
/// of what a stack sends: a packet larger than <see cref="PathMtu"/> with Don't Fragment set is
/// dropped and answered with ICMP Destination Unreachable / Fragmentation Needed carrying the
/// next-hop MTU (RFC 1191 §4); one without DF is fragmented to fit. Put it around the sending
/// stack's end of a <see cref="VirtualWire"/> to exercise path MTU discovery.
/// </summary>
/// <remarks>
/// The ICMP error reaches the stack through this link's <see cref="Inbound"/>, scheduled on the
/// scheduler rather than delivered from inside <see cref="Send(ReadOnlyMemory{byte})"/>, as a
/// stack must never be re-entered from its own send.
/// </remarks>
public sealed class BottleneckRouterLink : ILink
{
    private readonly ILink _inner;
    private readonly IScheduler _scheduler;
    private readonly IPv4Address _routerAddress;
    private readonly Subject<ReadOnlyMemory<byte>> _errors = new();
    private long _tooBig;

    /// <summary>Wraps <paramref name="inner"/> behind a router whose next hop carries at most <paramref name="pathMtu"/> bytes.</summary>
    /// <param name="inner">The sending stack's link (disposed with this one).</param>
    /// <param name="pathMtu">The next-hop MTU, at least 68.</param>
    /// <param name="routerAddress">The source address of the ICMP errors.</param>
    /// <param name="scheduler">Where the errors are delivered from.</param>
    public BottleneckRouterLink(ILink inner, int pathMtu, IPv4Address routerAddress, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentOutOfRangeException.ThrowIfLessThan(pathMtu, Ipv4Fragmenter.MinimumMtu);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pathMtu, ushort.MaxValue);
        _inner = inner;
        _scheduler = scheduler;
        _routerAddress = routerAddress;
        PathMtu = pathMtu;
        Inbound = inner.Inbound.Merge(_errors);
    }

    /// <summary>The bottleneck's MTU.</summary>
    public int PathMtu { get; }

    /// <summary>DF packets dropped for being too big (each answered with a fragmentation-needed error).</summary>
    public long TooBigDropped => Interlocked.Read(ref _tooBig);

    /// <inheritdoc/>
    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <summary>The sending side's own link MTU: the stack does not know the bottleneck is there.</summary>
    public int Mtu => _inner.Mtu;

    /// <inheritdoc/>
    public void Send(ReadOnlyMemory<byte> packet)
    {
        if (!Route(packet.Span)) return;
        _inner.Send(packet);
    }

    /// <inheritdoc/>
    public void Send(PooledPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        bool forward;
        try
        {
            forward = Route(packet.Memory.Span);
        }
        catch
        {
            packet.Release();
            throw;
        }
        if (forward) _inner.Send(packet);
        else packet.Release();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _errors.OnCompleted();
        _inner.Dispose();
    }

    /// <summary>True when the packet goes on whole; otherwise it was dropped or sent on as fragments here.</summary>
    private bool Route(ReadOnlySpan<byte> packet)
    {
        if (packet.Length <= PathMtu || Ipv4Codec.TryParse(packet, out var ip) != DropReason.None || ip.TotalLength <= PathMtu)
            return true;
        if (!ip.DontFragment)
        {
            foreach (var fragment in Ipv4Fragmenter.Fragment(packet, PathMtu)) _inner.Send(fragment);
            return false;
        }
        Interlocked.Increment(ref _tooBig);
        var error = PacketBuilder.BuildDestinationUnreachable(_routerAddress, packet, UnreachableCode.FragmentationNeeded, (ushort)PathMtu);
        _scheduler.Schedule(() => _errors.OnNext(error));
        return false;
    }
}
