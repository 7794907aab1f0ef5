namespace Reactive.Tcp.Links;

/// <summary>What happened to the frames of one <see cref="VirtualSwitch"/> port. Safe to read while frames flow.</summary>
public sealed class SwitchPortCounters
{
    private long _forwarded, _flooded, _filtered, _malformed;

    /// <summary>The cable from the host into the switch: frames sent, lost, duplicated, corrupted, delayed, oversize; <see cref="WireCounters.Delivered"/> counts the frames that reached the switch.</summary>
    public WireCounters ToSwitch { get; } = new();

    /// <summary>The cable from the switch to the host: frames the switch sent this way (each flooded copy counts) and what the cable did to them; <see cref="WireCounters.Delivered"/> counts the frames the host received.</summary>
    public WireCounters FromSwitch { get; } = new();

    /// <summary>Frames from this port sent to the one port their destination was learned on.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Frames from this port sent to every other port: broadcast, multicast, or to an address not (or no longer) in the MAC table.</summary>
    public long Flooded => Interlocked.Read(ref _flooded);

    /// <summary>Frames from this port dropped because their destination was learned on this same port.</summary>
    public long Filtered => Interlocked.Read(ref _filtered);

    /// <summary>Frames from this port too short to hold an Ethernet header, dropped.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    internal void AddForwarded() => Interlocked.Increment(ref _forwarded);

    internal void AddFlooded() => Interlocked.Increment(ref _flooded);

    internal void AddFiltered() => Interlocked.Increment(ref _filtered);

    internal void AddMalformed() => Interlocked.Increment(ref _malformed);

    /// <inheritdoc />
    public override string ToString() =>
        $"forwarded={Forwarded} flooded={Flooded} filtered={Filtered} malformed={Malformed} toSwitch[{ToSwitch}] fromSwitch[{FromSwitch}]";
}
