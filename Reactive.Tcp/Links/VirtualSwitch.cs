using System.Reactive.Concurrency;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// An in-memory Ethernet segment: a learning switch with any number of ports, each an
/// <see cref="IEthernetLink"/> for one host (a stack with an Ethernet interface). What a port
/// sends goes to the port its destination address was learned on, or to every other port when
/// the destination is broadcast, multicast or not (or no longer) in the MAC table.
/// </summary>
/// <remarks>
/// <para>Each port has a cable with <see cref="Impairments"/> in each direction, the same
/// machinery as a <see cref="VirtualWire"/>'s: <see cref="SwitchPortOptions.ToSwitch"/> damages a
/// frame once before it is forwarded, <see cref="SwitchPortOptions.FromSwitch"/> each copy on its
/// way to a host. A frame's whole fate is decided when it is sent (learning its source, looking up
/// its destination, every random decision), and its delays add up along the way, so a run depends
/// only on the seeds and the frames sent, never on when the scheduler runs.</para>
/// <para>Every delivery goes through the scheduler, as on a <see cref="VirtualWire"/>: sending only
/// queues, so a host that sends while handling a frame is never re-entered, and a
/// <c>TestScheduler</c> runs a whole segment in virtual time. Frames due at the same time arrive in
/// the order they were sent. Delivered frames share the sender's buffer (receivers must not mutate
/// it), except corrupted ones; a pooled frame flooded to several ports takes one reference per
/// copy and each is released after its receiver's <c>OnNext</c>.</para>
/// <para>The MAC table learns each frame's unicast source on the port it came from (a station that
/// moves is learned again on its new port), forgets an address not heard from for
/// <see cref="VirtualSwitchOptions.AgeingTime"/>, and holds at most
/// <see cref="VirtualSwitchOptions.MaxMacTableEntries"/>. A frame whose destination was learned on
/// the port it came from is filtered. There is no spanning tree, VLAN or IGMP snooping: tagged
/// frames are forwarded like any other, multicast is flooded.</para>
/// </remarks>
public sealed class VirtualSwitch : IDisposable
{
    private readonly IScheduler _scheduler;
    private readonly Lock _gate = new();
    private readonly Dictionary<MacAddress, (VirtualSwitchPort Port, long SeenTicks)> _table = new();
    private readonly Random _addresses;
    private VirtualSwitchPort[] _ports = [];
    private int _nextIndex;
    private bool _disposed;

    /// <summary>Creates a switch with no ports whose deliveries, delays and MAC ageing run on <paramref name="scheduler"/>.</summary>
    /// <param name="scheduler">The switch's clock, and the scheduler of every port not given its own.</param>
    /// <param name="options">MTU, ageing and table size; null for the defaults.</param>
    public VirtualSwitch(IScheduler scheduler, VirtualSwitchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        Options = options ?? new VirtualSwitchOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.Mtu, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.MaxMacTableEntries, nameof(options));
        if (Options.AgeingTime <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), Options.AgeingTime, "Ageing time must be positive.");
        _scheduler = scheduler;
        _addresses = new Random(Options.Seed);
    }

    /// <summary>The settings the switch was built with.</summary>
    public VirtualSwitchOptions Options { get; }

    /// <summary>The ports connected now, in the order they were added.</summary>
    public IReadOnlyList<VirtualSwitchPort> Ports => Volatile.Read(ref _ports);

    /// <summary>Addresses in the MAC table, aged ones included until a lookup or a full table removes them.</summary>
    public int MacTableCount
    {
        get
        {
            lock (_gate) return _table.Count;
        }
    }

    /// <summary>Largest frame a port carries: the MTU plus the Ethernet header.</summary>
    public int MaxFrameLength => Options.Mtu + EthernetCodec.HeaderLength;

    /// <summary>Connects a new port, for one host.</summary>
    /// <param name="options">The port's address and impairments; null for a perfect cable and a drawn address.</param>
    /// <exception cref="ObjectDisposedException">The switch is disposed.</exception>
    public VirtualSwitchPort AddPort(SwitchPortOptions? options = null)
    {
        options ??= new SwitchPortOptions();
        ArgumentNullException.ThrowIfNull(options.ToSwitch, nameof(options));
        ArgumentNullException.ThrowIfNull(options.FromSwitch, nameof(options));
        options.ToSwitch.Validate();
        options.FromSwitch.Validate();
        if (options.ToSwitch.CongestionMark != 0 || options.FromSwitch.CongestionMark != 0)
            throw new ArgumentException("CongestionMark reads an IPv4 header at the start of a packet; a switch carries Ethernet frames, so it is not supported on a switch port.", nameof(options));
        if (options.Address is { IsUnicast: false } given)
            throw new ArgumentException($"A port's address must be unicast, not {given}.", nameof(options));

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var address = options.Address ?? MacAddress.NewLocallyAdministered(_addresses);
            var port = new VirtualSwitchPort(this, _nextIndex++, address, options, options.Scheduler ?? _scheduler);
            _ports = [.. _ports, port];
            return port;
        }
    }

    /// <summary>The port <paramref name="address"/> was last heard on, unless it has aged out.</summary>
    public bool TryGetPort(MacAddress address, out VirtualSwitchPort port)
    {
        lock (_gate)
        {
            if (Lookup(address, _scheduler.Now.UtcTicks) is { } found)
            {
                port = found;
                return true;
            }
        }
        port = null!;
        return false;
    }

    /// <summary>Disconnects every port: frames in flight are dropped and every port's <see cref="ILink.Inbound"/> completes.</summary>
    public void Dispose()
    {
        VirtualSwitchPort[] ports;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            ports = _ports;
            _ports = [];
            _table.Clear();
        }
        foreach (var port in ports) port.Close();
    }

    /// <summary>Takes a port off the switch (its own <c>Dispose</c>): its addresses are forgotten and nothing more reaches it.</summary>
    internal void Disconnect(VirtualSwitchPort port)
    {
        lock (_gate)
        {
            if (Array.IndexOf(_ports, port) < 0) return;
            _ports = _ports.Where(p => p != port).ToArray();
            foreach (var (address, entry) in _table.ToArray())
                if (entry.Port == port) _table.Remove(address);
        }
        port.Close();
    }

    /// <summary>
    /// A frame from <paramref name="from"/> that survived its cable into the switch: learns its
    /// source, then hands it (or a shared copy per port, when flooding) to the destination ports'
    /// cables, each copy taking its own reference on a pooled buffer.
    /// </summary>
    internal void Forward(VirtualSwitchPort from, WirePacket frame, TimeSpan delay)
    {
        var span = frame.Memory.Span;
        var destination = MacAddress.Read(span);
        var source = MacAddress.Read(span[6..]);
        VirtualSwitchPort? target;
        VirtualSwitchPort[] ports;
        lock (_gate)
        {
            if (_disposed || Array.IndexOf(_ports, from) < 0)
            {
                frame.Release();
                return;
            }
            var now = _scheduler.Now.UtcTicks;
            if (source.IsUnicast) Learn(source, from, now);
            target = destination.IsMulticast ? null : Lookup(destination, now);
            ports = _ports;
        }

        if (target == from)
        {
            from.Counters.AddFiltered();
            frame.Release();
            return;
        }
        if (target is not null)
        {
            from.Counters.AddForwarded();
            target.Egress(frame, delay);
            return;
        }

        from.Counters.AddFlooded();
        VirtualSwitchPort? previous = null;
        foreach (var port in ports)
        {
            if (port == from) continue;
            // Every copy but the last takes a reference of its own; the last takes the frame's.
            previous?.Egress(frame.Share(), delay);
            previous = port;
        }
        if (previous is null) frame.Release();
        else previous.Egress(frame, delay);
    }

    private void Learn(MacAddress source, VirtualSwitchPort port, long now)
    {
        if (!_table.ContainsKey(source) && _table.Count >= Options.MaxMacTableEntries)
        {
            var ageing = Options.AgeingTime.Ticks;
            foreach (var (address, entry) in _table.ToArray())
                if (now - entry.SeenTicks >= ageing) _table.Remove(address);
            if (_table.Count >= Options.MaxMacTableEntries) return;
        }
        _table[source] = (port, now);
    }

    private VirtualSwitchPort? Lookup(MacAddress destination, long now)
    {
        if (!_table.TryGetValue(destination, out var entry)) return null;
        if (now - entry.SeenTicks < Options.AgeingTime.Ticks) return entry.Port;
        _table.Remove(destination);
        return null;
    }
}
