using System.Reactive.Concurrency;
using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Interfaces;

/// <summary>
/// The smallest Ethernet interface stage there can be, for tests: decode a frame, filter by MAC,
/// hand ARP to an <see cref="ArpCache{TPacket}"/>, trim IPv4 padding; send IPv4 packets through the
/// cache; carry out its actions; keep its one timer armed at <see cref="ArpCache{TPacket}.NextDue"/>
/// on the scheduler. A lock serialises frames, sends and timer ticks, so it also runs on a real
/// device whose reader thread is not the scheduler's (the real stage will serialise by design).
/// </summary>
internal sealed class EthernetHostRig : IDisposable
{
    private readonly IScheduler _scheduler;
    private readonly IEthernetLink _link;
    private readonly EthernetAddressFilter _filter;
    private readonly ArpActions<byte[]> _actions = new();
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private IDisposable? _timer;
    private long? _armedFor;

    public EthernetHostRig(IScheduler scheduler, IEthernetLink link, IPv4Address address, ArpOptions? options = null, int seed = 0)
    {
        _scheduler = scheduler;
        _link = link;
        Address = address;
        _filter = new EthernetAddressFilter(link.Address);
        Arp = new ArpCache<byte[]>(link.Address, options, seed);
        _subscription = link.Inbound.Subscribe(OnFrame);
        lock (_gate)
        {
            Arp.AddAddress(address, Now, _actions);
            CarryOut();
        }
    }

    /// <summary>Called with each IPv4 packet for us (trimmed), under the rig's lock: it may call <see cref="SendIp"/>.</summary>
    public Action<byte[]>? OnIpv4 { get; set; }

    public IPv4Address Address { get; }

    public MacAddress Mac => _link.Address;

    public ArpCache<byte[]> Arp { get; }

    public DropCounters Drops { get; } = new();

    /// <summary>IPv4 packets for us, trimmed of Ethernet padding.</summary>
    public List<byte[]> Received { get; } = new();

    /// <summary>Packets the cache gave up on, with why.</summary>
    public List<(byte[] Packet, DropReason Reason)> Undeliverable { get; } = new();

    private long Now => _scheduler.Now.UtcTicks;

    public void SendIp(IPv4Address nextHop, byte[] packet)
    {
        lock (_gate)
        {
            Arp.Send(nextHop, packet, packet.Length, Now, _actions);
            CarryOut();
        }
    }

    /// <summary>Runs <paramref name="read"/> under the rig's lock (for tests reading its lists while frames arrive).</summary>
    public T Read<T>(Func<EthernetHostRig, T> read)
    {
        lock (_gate) return read(this);
    }

    private void OnFrame(ReadOnlyMemory<byte> frame)
    {
        lock (_gate) Handle(frame);
    }

    private void Handle(ReadOnlyMemory<byte> frame)
    {
        var reason = EthernetCodec.TryParse(frame.Span, out var header);
        if (reason == DropReason.None) reason = _filter.Check(header.Destination);
        if (reason == DropReason.None)
        {
            var payload = frame[EthernetCodec.HeaderLength..];
            switch (header.EtherType)
            {
                case EtherType.Arp:
                    reason = ArpCodec.TryParse(payload.Span, out var arp);
                    if (reason == DropReason.None) reason = Arp.Receive(arp, header.Destination == Mac, Now, _actions);
                    break;
                case EtherType.IPv4:
                    var packet = EthernetCodec.TrimToIpv4TotalLength(payload).ToArray();
                    Received.Add(packet);
                    OnIpv4?.Invoke(packet);
                    break;
                default:
                    reason = DropReason.UnsupportedEtherType;
                    break;
            }
        }
        if (reason != DropReason.None) Drops.Increment(reason);
        CarryOut();
    }

    private void CarryOut()
    {
        foreach (var action in _actions)
        {
            switch (action.Kind)
            {
                case ArpActionKind.SendArp:
                    _link.Send(ArpCodec.BuildFrame(action.Destination, action.Arp));
                    break;
                case ArpActionKind.Transmit:
                    _link.Send(EthernetCodec.BuildFrame(new EthernetHeader(action.Destination, Mac, EtherType.IPv4), action.Packet));
                    break;
                case ArpActionKind.Drop:
                    Drops.Increment(action.Reason);
                    Undeliverable.Add((action.Packet, action.Reason));
                    break;
            }
        }
        _actions.Clear();

        // One timer, re-armed whenever the cache's next deadline moves.
        var due = Arp.NextDue;
        if (due == _armedFor) return;
        _timer?.Dispose();
        _armedFor = due;
        _timer = due is { } at
            ? _scheduler.Schedule(new DateTimeOffset(Math.Max(at, Now), TimeSpan.Zero), () =>
            {
                lock (_gate)
                {
                    _armedFor = null;
                    Arp.Tick(Now, _actions);
                    CarryOut();
                }
            })
            : null;
    }

    public void Dispose()
    {
        _subscription.Dispose();
        lock (_gate) _timer?.Dispose();
    }
}
