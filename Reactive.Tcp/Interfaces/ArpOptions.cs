using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>
/// Timers and bounds of an <see cref="ArpCache{TPacket}"/>. The defaults are Linux's
/// (<c>/proc/sys/net/ipv4/neigh/default/*</c> on a 6.x kernel) with the RFC 5227 announcement
/// added; <see cref="Minimart"/> reproduces the minimart netstack's ARP.
/// </summary>
public sealed record ArpOptions
{
    /// <summary>Linux's defaults (the same as <c>new ArpOptions()</c>).</summary>
    public static ArpOptions Linux { get; } = new();

    /// <summary>
    /// The minimart netstack's ARP: entries live 14,400 s from when they were last heard from, with
    /// no reachability states (no stale, delay or probe: an entry simply ends, and the next packet
    /// starts over); unanswered questions are asked again on a 5 s wake-up for as long as packets
    /// wait; an address that comes up is announced once with a gratuitous reply.
    /// </summary>
    public static ArpOptions Minimart { get; } = new()
    {
        BaseReachableTime = TimeSpan.FromSeconds(14_400),
        MinRandomFactor = 1,
        MaxRandomFactor = 1,
        RetransmitInterval = TimeSpan.FromSeconds(5),
        MulticastProbes = int.MaxValue,
        StaleTime = TimeSpan.Zero,
        AnnouncementCount = 1,
        AnnouncementOperation = ArpOperation.Reply,
    };

    /// <summary>
    /// How long a confirmed mapping stays <see cref="NeighbourState.Reachable"/> before it turns
    /// stale (<c>base_reachable_time_ms</c>, 30 s), scaled by a factor drawn afresh for each
    /// confirmation between <see cref="MinRandomFactor"/> and <see cref="MaxRandomFactor"/>.
    /// </summary>
    public TimeSpan BaseReachableTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Smallest factor applied to <see cref="BaseReachableTime"/> (0.5, RFC 4861 MIN_RANDOM_FACTOR, as Linux does).</summary>
    public double MinRandomFactor { get; init; } = 0.5;

    /// <summary>Largest factor applied to <see cref="BaseReachableTime"/> (1.5, RFC 4861 MAX_RANDOM_FACTOR).</summary>
    public double MaxRandomFactor { get; init; } = 1.5;

    /// <summary>Time between two requests for the same neighbour (<c>retrans_time_ms</c>, 1 s).</summary>
    public TimeSpan RetransmitInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Broadcast requests sent for an unresolved neighbour before it is declared unreachable and
    /// its queued packets are dropped (<c>mcast_solicit</c>, 3: failure after about 3 s).
    /// <see cref="int.MaxValue"/> never gives up (minimart).
    /// </summary>
    public int MulticastProbes { get; init; } = 3;

    /// <summary>Unicast requests sent to re-confirm a stale mapping before the entry is dropped (<c>ucast_solicit</c>, 3).</summary>
    public int UnicastProbes { get; init; } = 3;

    /// <summary>How long a used stale mapping waits for upper-layer confirmation before unicast probing starts (<c>delay_first_probe_time</c>, 5 s).</summary>
    public TimeSpan DelayFirstProbeTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an unused stale entry is kept (<c>gc_stale_time</c>, 60 s). Linux only collects
    /// such entries once its table passes <c>gc_thresh1</c> (128 entries); this cache always does,
    /// which keeps memory bounded and behaviour independent of the table's size. Zero removes an
    /// entry as soon as its reachable time ends, with no stale phase (minimart).
    /// </summary>
    public TimeSpan StaleTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Packets that may wait for one unresolved neighbour (<c>unres_qlen</c>, 101); when full, the
    /// oldest is dropped for the newest, as Linux does. Linux before 3.3 allowed 3.
    /// </summary>
    public int MaxQueuedPackets { get; init; } = 101;

    /// <summary>
    /// Bytes that may wait for one unresolved neighbour (<c>unres_qlen_bytes</c>, 212,992). Linux
    /// counts each buffer's true size (about 2.3 KB for a full-size frame), this cache the packet's
    /// length, so with full-size packets <see cref="MaxQueuedPackets"/> is the bound that bites.
    /// </summary>
    public int MaxQueuedBytes { get; init; } = 212_992;

    /// <summary>
    /// Most entries in the table (<c>gc_thresh3</c>, 1024). A new neighbour beyond it evicts the
    /// oldest stale or failed-looking entry; when none can go, the packet is dropped.
    /// </summary>
    public int MaxEntries { get; init; } = 1024;

    /// <summary>
    /// After a mapping changes, a different hardware address for the same neighbour is ignored for
    /// this long unless it comes in an announcement (<c>locktime</c>, 1 s): with several proxies
    /// answering, the first answer wins instead of the last.
    /// </summary>
    public TimeSpan LockTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Announcements broadcast when an address comes up (RFC 5227 ANNOUNCE_NUM, 2); zero sends none (Linux's own default, <c>arp_notify</c> off).</summary>
    public int AnnouncementCount { get; init; } = 2;

    /// <summary>Time between two announcements (RFC 5227 ANNOUNCE_INTERVAL, 2 s).</summary>
    public TimeSpan AnnouncementInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The form of an announcement: a request with sender and target address both ours (RFC 5227
    /// §3 prefers it), or a gratuitous reply (what minimart sent).
    /// </summary>
    public ArpOperation AnnouncementOperation { get; init; } = ArpOperation.Request;

    /// <summary>
    /// When another station claims one of our addresses, one announcement defends it, at most once
    /// per this interval (RFC 5227 §2.4 (b), DEFEND_INTERVAL, 10 s).
    /// </summary>
    public TimeSpan DefendInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        Positive(BaseReachableTime, nameof(BaseReachableTime));
        Positive(RetransmitInterval, nameof(RetransmitInterval));
        NotNegative(DelayFirstProbeTime, nameof(DelayFirstProbeTime));
        NotNegative(StaleTime, nameof(StaleTime));
        NotNegative(LockTime, nameof(LockTime));
        NotNegative(DefendInterval, nameof(DefendInterval));
        if (AnnouncementCount > 1) Positive(AnnouncementInterval, nameof(AnnouncementInterval));
        if (!(MinRandomFactor > 0 && MinRandomFactor <= MaxRandomFactor && double.IsFinite(MaxRandomFactor)))
            throw new ArgumentOutOfRangeException(nameof(MinRandomFactor), $"Need 0 < {nameof(MinRandomFactor)} <= {nameof(MaxRandomFactor)}, both finite.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MulticastProbes, nameof(MulticastProbes));
        ArgumentOutOfRangeException.ThrowIfNegative(UnicastProbes, nameof(UnicastProbes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxQueuedPackets, nameof(MaxQueuedPackets));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxQueuedBytes, nameof(MaxQueuedBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEntries, nameof(MaxEntries));
        ArgumentOutOfRangeException.ThrowIfNegative(AnnouncementCount, nameof(AnnouncementCount));
        if (AnnouncementOperation is not (ArpOperation.Request or ArpOperation.Reply))
            throw new ArgumentOutOfRangeException(nameof(AnnouncementOperation), AnnouncementOperation, "An announcement is a request or a reply.");
    }

    private static void Positive(TimeSpan t, string name)
    {
        if (t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, t, "Must be positive.");
    }

    private static void NotNegative(TimeSpan t, string name)
    {
        if (t < TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, t, "Cannot be negative.");
    }
}
