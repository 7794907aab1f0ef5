using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// One port of a <see cref="VirtualSwitch"/>, seen from the host plugged into it: Ethernet frames
/// in and out. <see cref="Dispose"/> unplugs the cable (the rest of the segment carries on).
/// </summary>
public sealed class VirtualSwitchPort : IEthernetLink
{
    private readonly VirtualSwitch _switch;
    private readonly Impairer _toSwitch;
    private readonly Impairer _fromSwitch;
    private readonly Subject<ReadOnlyMemory<byte>> _arrivals = new();
    private readonly DeliveryQueue _deliveries;
    private readonly IngressQueue _ingress;
    private int _closed;

    internal VirtualSwitchPort(VirtualSwitch owner, int index, MacAddress address, SwitchPortOptions options, IScheduler scheduler)
    {
        _switch = owner;
        Index = index;
        Address = address;
        Options = options;
        Inbound = _arrivals.AsObservable();
        _toSwitch = new Impairer(options.ToSwitch, new Random(options.ToSwitch.Seed), Counters.ToSwitch);
        _fromSwitch = new Impairer(options.FromSwitch, new Random(options.FromSwitch.Seed), Counters.FromSwitch);
        // The timed queue rather than the FIFO one: frames from other ports arrive with their own
        // cables' delays added, whatever this port's cable does.
        _deliveries = new DeliveryQueue(scheduler, _arrivals, Counters.FromSwitch, passThroughWhenIdle: false);
        _ingress = new IngressQueue(this);
    }

    /// <summary>The port's number on its switch, from 0 in the order ports were added.</summary>
    public int Index { get; }

    /// <summary>The address suggested to the host on this port.</summary>
    public MacAddress Address { get; }

    /// <summary>The settings the port was added with.</summary>
    public SwitchPortOptions Options { get; }

    /// <summary>What happened to this port's frames, both ways.</summary>
    public SwitchPortCounters Counters { get; } = new();

    /// <summary>Frames the switch delivers to this port's host; memory valid only during <c>OnNext</c>.</summary>
    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <summary>The segment's MTU: frames carry up to this many bytes after the Ethernet header.</summary>
    public int Mtu => _switch.Options.Mtu;

    /// <summary>Sends one frame into the switch; the buffer is the switch's from now on.</summary>
    public void Send(ReadOnlyMemory<byte> frame) => Ingress(WirePacket.Unowned(frame));

    /// <summary>Sends one pooled frame into the switch, taking over its reference (released once every copy has been delivered or dropped).</summary>
    public void Send(PooledPacket frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Ingress(WirePacket.Pooled(frame));
    }

    /// <summary>Unplugs the port: frames in flight to it are dropped, its <see cref="Inbound"/> completes, the switch forgets its addresses.</summary>
    public void Dispose() => _switch.Disconnect(this);

    /// <inheritdoc />
    public override string ToString() => $"switch port {Index} ({Address})";

    internal void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _deliveries.CompleteNow();
    }

    /// <summary>A frame the switch sends this way, <paramref name="delay"/> already spent on the cable it came in by.</summary>
    internal void Egress(WirePacket frame, TimeSpan delay)
    {
        Counters.FromSwitch.AddSent();
        if (Volatile.Read(ref _closed) != 0)
        {
            frame.Release();
            return;
        }
        _fromSwitch.Process(frame, delay == TimeSpan.Zero ? _deliveries : new DelayedQueue(_deliveries, delay));
    }

    private void Ingress(WirePacket frame)
    {
        Counters.ToSwitch.AddSent();
        if (Volatile.Read(ref _closed) != 0)
        {
            frame.Release();
            return;
        }
        if (frame.Memory.Length > _switch.MaxFrameLength)
        {
            Counters.ToSwitch.AddOversize();
            frame.Release();
            return;
        }
        if (frame.Memory.Length < EthernetCodec.HeaderLength)
        {
            Counters.AddMalformed();
            frame.Release();
            return;
        }
        _toSwitch.Process(frame, _ingress);
    }

    // Where the host-to-switch cable puts the copies that survive it: straight into the switch's
    // forwarding, carrying the cable's delay along to the output port's queue.
    private sealed class IngressQueue(VirtualSwitchPort port) : IPacketQueue
    {
        public void Enqueue(WirePacket packet, TimeSpan delay)
        {
            port.Counters.ToSwitch.AddDelivered();
            port._switch.Forward(port, packet, delay);
        }
    }

    // The switch-to-host queue with the ingress cable's delay added to whatever this cable adds.
    private sealed class DelayedQueue(IPacketQueue inner, TimeSpan extra) : IPacketQueue
    {
        public void Enqueue(WirePacket packet, TimeSpan delay) => inner.Enqueue(packet, delay + extra);
    }
}
