using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Interfaces;

/// <summary>
/// Steps an <see cref="ArpCache{TPacket}"/> the way an interface stage would: every input at a
/// given time, and timers run exactly when <see cref="ArpCache{TPacket}.NextDue"/> says. Packets
/// are strings so that a log reads like a scenario. Every action is recorded with its time.
/// </summary>
internal sealed class ArpStepper
{
    public static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:02");
    public static readonly IPv4Address OurIp = IPv4Address.Parse("192.0.2.2");
    public static readonly MacAddress PeerMac = MacAddress.Parse("ee:00:00:00:00:01");
    public static readonly IPv4Address PeerIp = IPv4Address.Parse("192.0.2.1");
    public static readonly MacAddress OtherMac = MacAddress.Parse("ee:00:00:00:00:03");
    public static readonly IPv4Address OtherIp = IPv4Address.Parse("192.0.2.3");

    private readonly ArpActions<string> _actions = new();

    /// <param name="options">The cache's options; with <paramref name="withAddress"/>, announcements are turned off
    /// so they do not mix with what a test looks at (their own tests bring the address up themselves).</param>
    /// <param name="seed">The cache's seed.</param>
    /// <param name="withAddress">Start with <see cref="OurIp"/> up.</param>
    public ArpStepper(ArpOptions? options = null, int seed = 1, bool withAddress = true)
    {
        options ??= ArpOptions.Linux;
        Cache = new ArpCache<string>(OurMac, withAddress ? options with { AnnouncementCount = 0 } : options, seed);
        if (withAddress)
        {
            Cache.AddAddress(OurIp, 0, _actions);
            Collect();
        }
    }

    public ArpCache<string> Cache { get; }

    /// <summary>Current time in ticks.</summary>
    public long Now { get; private set; }

    public List<(long At, ArpAction<string> Action)> Log { get; } = new();

    public IEnumerable<ArpAction<string>> Actions(ArpActionKind kind) => Log.Where(e => e.Action.Kind == kind).Select(e => e.Action);

    public IEnumerable<(long At, ArpPacket Arp, MacAddress To)> ArpSent =>
        Log.Where(e => e.Action.Kind == ArpActionKind.SendArp).Select(e => (e.At, e.Action.Arp, e.Action.Destination));

    public IEnumerable<string> Transmitted => Actions(ArpActionKind.Transmit).Select(a => a.Packet);

    public IEnumerable<(string Packet, DropReason Reason)> Dropped => Actions(ArpActionKind.Drop).Select(a => (a.Packet, a.Reason));

    public NeighbourState StateOf(IPv4Address neighbour) =>
        Cache.TryGetEntry(neighbour, out var entry) ? entry.State : NeighbourState.None;

    /// <summary>Runs every timer up to <paramref name="at"/>, each at its own due time, then sets the clock there.</summary>
    public void AdvanceTo(TimeSpan at)
    {
        long target = at.Ticks;
        while (Cache.NextDue is { } due && due <= target)
        {
            Now = Math.Max(Now, due);
            Cache.Tick(Now, _actions);
            Collect();
        }
        Now = Math.Max(Now, target);
    }

    public void Advance(TimeSpan by) => AdvanceTo(TimeSpan.FromTicks(Now) + by);

    public void Send(string packet, IPv4Address? nextHop = null, int length = 100)
    {
        Cache.Send(nextHop ?? PeerIp, packet, length, Now, _actions);
        Collect();
    }

    public DropReason Receive(ArpPacket arp, bool unicastToUs = true)
    {
        var reason = Cache.Receive(arp, unicastToUs, Now, _actions);
        Collect();
        return reason;
    }

    /// <summary>The peer answers our request, unicast.</summary>
    public DropReason PeerReplies(MacAddress? mac = null) =>
        Receive(ArpPacket.Reply(mac ?? PeerMac, PeerIp, OurMac, OurIp));

    public void Confirm(IPv4Address? neighbour = null)
    {
        Cache.Confirm(neighbour ?? PeerIp, Now, _actions);
        Collect();
    }

    public void Do(Action<ArpActions<string>> call)
    {
        call(_actions);
        Collect();
    }

    private void Collect()
    {
        foreach (var action in _actions) Log.Add((Now, action));
        _actions.Clear();
    }

    public override string ToString() =>
        string.Join(Environment.NewLine, Log.Select(e => $"{TimeSpan.FromTicks(e.At).TotalSeconds,8:0.000}s {e.Action}"));
}
