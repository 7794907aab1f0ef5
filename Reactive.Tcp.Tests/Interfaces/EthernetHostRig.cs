using System.Reactive.Concurrency;
using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Interfaces;

/// <summary>
/// The smallest Ethernet interface stage there can be, for tests: decode a frame, filter by MAC,
/// hand ARP to an <see cref="ArpCache{TPacket}"/>, trim IPv4 padding; send IPv4 packets through the
/// cache; carry out its actions; keep its one timer armed at <see cref="ArpCache{TPacket}.NextDue"/>
/// on the scheduler. It is single-threaded by construction (everything runs on the scheduler that
/// delivers the link's frames), as the real stage will be.
/// </summary>
internal sealed class EthernetHostRig : IDisposable
{
    private readonly IScheduler _scheduler;
    private readonly IEthernetLink _link;
    private readonly EthernetAddressFilter _filter;
    private readonly ArpActions<byte[]> _actions = new();
    private readonly IDisposable _subscription;
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
        Arp.AddAddress(address, Now, _actions);
        CarryOut();
    }

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
        Arp.Send(nextHop, packet, packet.Length, Now, _actions);
        CarryOut();
    }

    private void OnFrame(ReadOnlyMemory<byte> frame)
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
                    Received.Add(EthernetCodec.TrimToIpv4TotalLength(payload).ToArray());
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
                _armedFor = null;
                Arp.Tick(Now, _actions);
                CarryOut();
            })
            : null;
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _subscription.Dispose();
    }
}
