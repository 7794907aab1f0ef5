using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// Two <see cref="ILink"/> ends joined in memory, each direction with its own
/// <see cref="Impairments"/>: what <see cref="EndA"/> sends arrives on <see cref="EndB"/>'s
/// <see cref="ILink.Inbound"/> and the other way round.
/// </summary>
/// <remarks>
/// <para>Every delivery goes through the scheduler, even with no delay: <see cref="ILink.Send(ReadOnlyMemory{byte})"/>
/// only queues, so a stack that sends while handling an inbound packet is never re-entered. (Use a
/// scheduler that queues work, such as <c>TestScheduler</c> or an <see cref="EventLoopScheduler"/>;
/// <see cref="ImmediateScheduler"/> would run deliveries inline.) Packets due at the same time
/// arrive in the order they were sent, and a burst is delivered by a single scheduled drain. A
/// direction that can never delay a packet (no delay, jitter or reordering) uses a plain FIFO
/// queue, and one without random decisions skips the random source's lock.</para>
/// <para>Random decisions come from one <see cref="Random"/> per direction seeded with
/// <see cref="Impairments.Seed"/>, so a run on a virtual-time scheduler is exactly repeatable.</para>
/// <para>Delivered packets share the sender's buffer (receivers must not mutate it), except corrupted
/// ones, which are copies. A packet sent as a <see cref="PooledPacket"/> is released after the
/// receiving end's <c>OnNext</c> returns (after the last one, for a duplicated packet), or when
/// it is lost, oversize, or still in flight when the wire is cut.</para>
/// </remarks>
public sealed class VirtualWire : IDisposable
{
    private readonly Direction _aToB;
    private readonly Direction _bToA;
    private int _disposed;

    /// <summary>Creates a wire whose deliveries and delays run on <paramref name="scheduler"/>.</summary>
    /// <param name="scheduler">Scheduler for every delivery; its clock is the wire's clock.</param>
    /// <param name="options">MTU and impairments; <see langword="null"/> for a perfect 1500-byte wire.</param>
    public VirtualWire(IScheduler scheduler, VirtualWireOptions? options = null)
        : this(scheduler, scheduler, options)
    {
    }

    /// <summary>
    /// Creates a wire whose two ends run on different schedulers (for instance one event-loop
    /// thread per stack): what reaches <see cref="EndA"/> is delivered on <paramref name="deliverToA"/>,
    /// what reaches <see cref="EndB"/> on <paramref name="deliverToB"/>, so each stack only ever
    /// sees packets on its own thread. Sending is safe from any thread.
    /// </summary>
    /// <param name="deliverToA">Scheduler for deliveries (and delays) towards <see cref="EndA"/>.</param>
    /// <param name="deliverToB">Scheduler for deliveries (and delays) towards <see cref="EndB"/>.</param>
    /// <param name="options">MTU and impairments; <see langword="null"/> for a perfect 1500-byte wire.</param>
    public VirtualWire(IScheduler deliverToA, IScheduler deliverToB, VirtualWireOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(deliverToA);
        ArgumentNullException.ThrowIfNull(deliverToB);
        Options = options ?? new VirtualWireOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.Mtu, nameof(options));
        ArgumentNullException.ThrowIfNull(Options.AToB, nameof(options));
        ArgumentNullException.ThrowIfNull(Options.BToA, nameof(options));
        Options.AToB.Validate();
        Options.BToA.Validate();

        _aToB = new Direction(deliverToB, Options.AToB, Options.Mtu);
        _bToA = new Direction(deliverToA, Options.BToA, Options.Mtu);
        EndA = new End(this, outbound: _aToB, inbound: _bToA, Options.Mtu);
        EndB = new End(this, outbound: _bToA, inbound: _aToB, Options.Mtu);
    }

    /// <summary>The settings the wire was built with.</summary>
    public VirtualWireOptions Options { get; }

    /// <summary>One end: sends towards <see cref="EndB"/>, receives what <see cref="EndB"/> sends.</summary>
    public ILink EndA { get; }

    /// <summary>The other end: sends towards <see cref="EndA"/>, receives what <see cref="EndA"/> sends.</summary>
    public ILink EndB { get; }

    /// <summary>What happened to packets sent by <see cref="EndA"/>.</summary>
    public WireCounters AToBCounters => _aToB.Counters;

    /// <summary>What happened to packets sent by <see cref="EndB"/>.</summary>
    public WireCounters BToACounters => _bToA.Counters;

    /// <summary>
    /// Cuts the wire: packets still in flight are dropped, later sends are ignored and both ends'
    /// <see cref="ILink.Inbound"/> complete. Disposing either end does the same.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _aToB.Close();
        _bToA.Close();
    }

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    // One direction: the impairment decisions, the timed queue and the receiving end's subject.
    private sealed class Direction
    {
        private readonly int _mtu;
        private readonly Subject<ReadOnlyMemory<byte>> _arrivals = new();
        private readonly Impairer _impairer;
        private readonly IPacketQueue _queue;
        private readonly Action _close;

        public Direction(IScheduler scheduler, Impairments impairments, int mtu)
        {
            _mtu = mtu;
            Arrivals = _arrivals.AsObservable();
            _impairer = new Impairer(impairments, new Random(impairments.Seed), Counters);
            if (impairments.Delay == TimeSpan.Zero && impairments.Jitter == TimeSpan.Zero && impairments.Reorder == 0)
            {
                var fifo = new FifoDeliveryQueue(scheduler, _arrivals, Counters);
                _queue = fifo;
                _close = fifo.CompleteNow;
            }
            else
            {
                var timed = new DeliveryQueue(scheduler, _arrivals, Counters, passThroughWhenIdle: false);
                _queue = timed;
                _close = timed.CompleteNow;
            }
        }

        public WireCounters Counters { get; } = new();

        public IObservable<ReadOnlyMemory<byte>> Arrivals { get; }

        public void Send(WirePacket packet)
        {
            Counters.AddSent();
            if (packet.Memory.Length > _mtu)
            {
                Counters.AddOversize();
                packet.Release();
                return;
            }

            _impairer.Process(packet, _queue);
        }

        // Completes the subject through the queue so that OnCompleted never overlaps a delivery.
        public void Close() => _close();
    }

    private sealed class End : ILink
    {
        private readonly VirtualWire _wire;
        private readonly Direction _outbound;

        public End(VirtualWire wire, Direction outbound, Direction inbound, int mtu)
        {
            _wire = wire;
            _outbound = outbound;
            Inbound = inbound.Arrivals;
            Mtu = mtu;
        }

        public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

        public int Mtu { get; }

        public void Send(ReadOnlyMemory<byte> packet)
        {
            if (!_wire.IsDisposed)
            {
                _outbound.Send(WirePacket.Unowned(packet));
            }
        }

        public void Send(PooledPacket packet)
        {
            ArgumentNullException.ThrowIfNull(packet);
            if (_wire.IsDisposed)
            {
                packet.Release();
                return;
            }

            _outbound.Send(WirePacket.Pooled(packet));
        }

        public void Dispose() => _wire.Dispose();
    }
}
