using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Links;

namespace Reactive.Tcp.Diagnostics;

/// <summary>
/// An <see cref="ILink"/> decorator that records both directions of <c>inner</c> to a
/// <see cref="PcapWriter"/>, stamped with the scheduler's clock (virtual time under test).
/// </summary>
/// <remarks>
/// Inbound packets are recorded once however many subscribers there are, and only while someone
/// is subscribed (a hot link delivers nothing to nobody anyway). Disposing the link disposes
/// <c>inner</c> but not the writer, which may be shared by several links.
/// </remarks>
public sealed class PcapLink : ILink
{
    private readonly ILink _inner;
    private readonly PcapWriter _writer;
    private readonly IScheduler _scheduler;

    /// <summary>Wraps <paramref name="inner"/>, recording its traffic to <paramref name="writer"/>.</summary>
    /// <param name="inner">The link to record.</param>
    /// <param name="writer">Where records go.</param>
    /// <param name="scheduler">Clock for the timestamps.</param>
    public PcapLink(ILink inner, PcapWriter writer, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(scheduler);
        _inner = inner;
        _writer = writer;
        _scheduler = scheduler;

        // Shared so that two subscribers don't write every inbound packet twice; recording inside
        // OnNext is required because inbound memory is only valid during that call.
        Inbound = inner.Inbound
            .Do(packet => _writer.Write(packet.Span, _scheduler.Now))
            .Publish()
            .RefCount();
    }

    /// <inheritdoc/>
    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <inheritdoc/>
    public int Mtu => _inner.Mtu;

    /// <inheritdoc/>
    public void Send(ReadOnlyMemory<byte> packet)
    {
        // Record first: once sent, the buffer belongs to the inner link, which may recycle it.
        _writer.Write(packet.Span, _scheduler.Now);
        _inner.Send(packet);
    }

    /// <inheritdoc/>
    public void Send(PooledPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        _writer.Write(packet.Memory.Span, _scheduler.Now);

        // The reference goes on to the inner link, which releases it; the packet is not ours to read after this.
        _inner.Send(packet);
    }

    /// <summary>Disposes the inner link; the writer stays open.</summary>
    public void Dispose() => _inner.Dispose();
}
