using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>
/// ARP (RFC 826) for one Ethernet interface as a pure state machine: the neighbour cache, the
/// packets waiting for resolution, the answers to requests for our addresses and the
/// announcements of addresses that come up. It reads no clock (<c>now</c>, in
/// <see cref="TimeSpan"/> ticks, arrives with each call), does no I/O, takes no locks and uses no
/// Rx: each call appends what to do to an <see cref="ArpActions{TPacket}"/> in the order it
/// happened, and <see cref="NextDue"/> says when <see cref="Tick"/> must run next. Given the same
/// seed, calls and times, it always does the same, so it can be stepped in a test or a marble
/// scenario exactly as the live interface steps it.
/// </summary>
/// <remarks>
/// <para><b>Entries</b> follow Linux's neighbour states. Sending to an unknown next hop creates an
/// <see cref="NeighbourState.Incomplete"/> entry, queues the packet and broadcasts a request,
/// repeated every <see cref="ArpOptions.RetransmitInterval"/> up to
/// <see cref="ArpOptions.MulticastProbes"/> requests; then the entry fails and every queued packet
/// comes back as a <see cref="ArpActionKind.Drop"/> with <see cref="DropReason.NeighbourUnreachable"/>
/// (the host answers its sender with ICMP host unreachable). A reply to us makes the entry
/// <see cref="NeighbourState.Reachable"/> for a randomised reachable time and transmits the queue.
/// Then it turns <see cref="NeighbourState.Stale"/> (still used); the next packet sent moves it to
/// <see cref="NeighbourState.Delay"/>, and unless <see cref="Confirm"/> or a reply confirms it
/// within <see cref="ArpOptions.DelayFirstProbeTime"/>, <see cref="NeighbourState.Probe"/> sends
/// unicast requests, <see cref="ArpOptions.UnicastProbes"/> of them, before the entry is dropped.
/// A stale entry unused for <see cref="ArpOptions.StaleTime"/> is removed.</para>
/// <para><b>Learning</b> follows RFC 826's merge rule as Linux applies it: any ARP packet updates
/// an entry we already hold for its sender; a new entry is created only for a sender asking for
/// one of our addresses (as <see cref="NeighbourState.Stale"/>: a request proves nothing about the
/// way back). A reply nobody asked for creates nothing (Linux's <c>arp_accept</c> off). Zero,
/// broadcast and multicast senders are never learned, nor are packets claiming our own addresses
/// (an RFC 5227 conflict, which one announcement per <see cref="ArpOptions.DefendInterval"/> defends).</para>
/// <para>Not thread-safe: one thread (the interface's) makes every call, as one connection's step
/// is only ever run by one thread. <see cref="Counters"/> may be read from anywhere.</para>
/// </remarks>
/// <typeparam name="TPacket">The host's handle on an outbound IPv4 packet (a pooled buffer, an array, …), kept while it waits and handed back in an action.</typeparam>
public sealed class ArpCache<TPacket>
{
    private const long Never = long.MinValue / 4;

    private readonly Dictionary<IPv4Address, Entry> _entries = new();
    private readonly HashSet<IPv4Address> _addresses = new();
    private readonly Dictionary<IPv4Address, Announcer> _announcing = new();
    private readonly Dictionary<IPv4Address, long> _lastDefended = new();
    private readonly PriorityQueue<Timer, (long Due, long Id)> _timers = new(DueOrder.Instance);
    private readonly Random _random;
    private long _lastTimerId;

    /// <summary>Creates an empty cache for an interface whose hardware address is <paramref name="address"/>.</summary>
    /// <param name="address">Our MAC address: the sender of every ARP packet we send.</param>
    /// <param name="options">Timers and bounds; <see langword="null"/> for <see cref="ArpOptions.Linux"/>.</param>
    /// <param name="seed">Seed of the random source behind the reachable-time randomisation.</param>
    public ArpCache(MacAddress address, ArpOptions? options = null, int seed = 0)
        : this(address, options, new Random(seed))
    {
    }

    /// <summary>Creates an empty cache drawing its random reachable times from <paramref name="random"/>.</summary>
    /// <param name="address">Our MAC address: the sender of every ARP packet we send.</param>
    /// <param name="options">Timers and bounds; <see langword="null"/> for <see cref="ArpOptions.Linux"/>.</param>
    /// <param name="random">The random source (owned by the cache from now on).</param>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not a unicast address.</exception>
    public ArpCache(MacAddress address, ArpOptions? options, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!address.IsUnicast) throw new ArgumentException($"An interface's address must be unicast, not {address}.", nameof(address));
        Options = options ?? ArpOptions.Linux;
        Options.Validate();
        Address = address;
        _random = random;
    }

    /// <summary>Our hardware address.</summary>
    public MacAddress Address { get; }

    /// <summary>The timers and bounds in force.</summary>
    public ArpOptions Options { get; }

    /// <summary>What the cache has done so far.</summary>
    public ArpCounters Counters { get; } = new();

    /// <summary>Our IPv4 addresses on this interface: requests for them are answered.</summary>
    public IReadOnlyCollection<IPv4Address> Addresses => _addresses;

    /// <summary>Entries in the table, of every state.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// When <see cref="Tick"/> must next be called (ticks), or <see langword="null"/> when no timer
    /// is armed. Changes after every call: a host re-arms its one timer from it each time.
    /// </summary>
    public long? NextDue
    {
        get
        {
            // Timers are cancelled by forgetting their id; the dead ones are dropped here, lazily.
            while (_timers.TryPeek(out var timer, out var key))
            {
                if (IsLive(timer)) return key.Due;
                _timers.Dequeue();
            }
            return null;
        }
    }

    /// <summary>
    /// Brings <paramref name="address"/> up on this interface: requests for it are answered from
    /// now on, and it is announced (<see cref="ArpOptions.AnnouncementCount"/> times,
    /// <see cref="ArpOptions.AnnouncementInterval"/> apart, the first now). An entry the cache held
    /// for it as a neighbour is dropped, with its queued packets. Adding an address twice does nothing.
    /// </summary>
    public void AddAddress(IPv4Address address, long now, ArpActions<TPacket> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (!IsUsableAddress(address) || address == IPv4Address.Any)
            throw new ArgumentException($"{address} cannot be an interface address.", nameof(address));
        if (!_addresses.Add(address)) return;
        if (_entries.TryGetValue(address, out var stale)) Remove(stale, DropReason.NeighbourUnreachable, actions);
        if (Options.AnnouncementCount == 0) return;
        var announcer = new Announcer(address, Options.AnnouncementCount);
        _announcing[address] = announcer;
        Announce(announcer, now, actions);
    }

    /// <summary>Takes <paramref name="address"/> off the interface: no more answers or announcements for it.</summary>
    /// <returns>Whether it was one of our addresses.</returns>
    public bool RemoveAddress(IPv4Address address)
    {
        if (_announcing.Remove(address, out var announcer)) announcer.TimerId = 0;
        _lastDefended.Remove(address);
        return _addresses.Remove(address);
    }

    /// <summary>
    /// Handles an ARP packet that arrived on the interface: learns or updates its sender (merge
    /// rule), answers a request for one of our addresses, and flushes packets that waited for the
    /// sender's address.
    /// </summary>
    /// <param name="arp">The packet, as <see cref="ArpCodec.TryParse"/> read it.</param>
    /// <param name="unicastToUs">Whether its Ethernet frame was addressed to our MAC (not broadcast): only a reply sent to us confirms reachability.</param>
    /// <param name="now">Current time, in ticks.</param>
    /// <param name="actions">Where the resulting actions are appended.</param>
    /// <returns><see cref="DropReason.None"/> when the packet was used (learned from, or answered);
    /// otherwise why it was ignored: <see cref="DropReason.ArpBadSender"/>,
    /// <see cref="DropReason.ArpAddressConflict"/>, <see cref="DropReason.ArpUnsolicitedReply"/>, or
    /// <see cref="DropReason.NotForUs"/> for a request about another host.</returns>
    public DropReason Receive(in ArpPacket arp, bool unicastToUs, long now, ArpActions<TPacket> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (arp.Operation == ArpOperation.Request) Counters.AddRequestReceived();
        else Counters.AddReplyReceived();

        if (!arp.SenderMac.IsUnicast || arp.SenderMac == Address || !IsUsableAddress(arp.SenderIp))
            return DropReason.ArpBadSender;
        if (_addresses.Contains(arp.SenderIp))
        {
            Counters.AddConflict();
            Defend(arp.SenderIp, now, actions);
            return DropReason.ArpAddressConflict;
        }

        // RFC 826: "If the pair <protocol type, sender protocol address> is already in my
        // translation table, update the sender hardware address field of the entry" — whatever
        // the packet is and whoever it is for.
        _entries.TryGetValue(arp.SenderIp, out var entry);
        if (entry is not null && entry.State != NeighbourState.Permanent)
            Merge(entry, arp, confirmed: arp.Operation == ArpOperation.Reply && unicastToUs, now, actions);

        if (arp.Operation == ArpOperation.Request && _addresses.Contains(arp.TargetIp))
        {
            // "Am I the target protocol address? If Merge_flag is false, add the triplet" — but not
            // for an RFC 5227 probe, whose sender has no address yet.
            if (entry is null && arp.SenderIp != IPv4Address.Any) Learn(arp, now, actions);
            actions.Add(ArpAction<TPacket>.SendArp(arp.SenderMac, ArpPacket.Reply(Address, arp.TargetIp, arp.SenderMac, arp.SenderIp)));
            Counters.AddReplySent();
            return DropReason.None;
        }

        if (entry is not null) return DropReason.None;
        return arp.Operation == ArpOperation.Reply ? DropReason.ArpUnsolicitedReply : DropReason.NotForUs;
    }

    /// <summary>
    /// Sends <paramref name="packet"/> towards <paramref name="nextHop"/>: a
    /// <see cref="ArpActionKind.Transmit"/> with its hardware address when the cache has one
    /// (the limited broadcast and multicast groups map without asking), otherwise the packet waits
    /// in the neighbour's queue while resolution runs. A next hop no station can be (0.0.0.0,
    /// loopback, class E, one of our own addresses) is dropped as <see cref="DropReason.BadAddress"/>.
    /// </summary>
    /// <param name="nextHop">The neighbour the route says the packet goes to (its destination when on-link, else the gateway).</param>
    /// <param name="packet">The packet; handed back in a Transmit or Drop action, never kept after one.</param>
    /// <param name="length">Its length in bytes, for <see cref="ArpOptions.MaxQueuedBytes"/>.</param>
    /// <param name="now">Current time, in ticks.</param>
    /// <param name="actions">Where the resulting actions are appended.</param>
    public void Send(IPv4Address nextHop, TPacket packet, int length, long now, ArpActions<TPacket> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (nextHop.Value == uint.MaxValue)
        {
            actions.Add(ArpAction<TPacket>.Transmit(nextHop, MacAddress.Broadcast, packet));
            return;
        }
        if (nextHop.Value >> 28 == 0xE)
        {
            actions.Add(ArpAction<TPacket>.Transmit(nextHop, MacAddress.FromIPv4Multicast(nextHop), packet));
            return;
        }
        if (!IsUsableAddress(nextHop) || nextHop == IPv4Address.Any || _addresses.Contains(nextHop))
        {
            // Nothing on the segment answers for these; our own addresses are looped back above the interface.
            actions.Add(ArpAction<TPacket>.Drop(nextHop, packet, DropReason.BadAddress));
            return;
        }

        if (!_entries.TryGetValue(nextHop, out var entry))
        {
            if (!MakeRoom(actions))
            {
                actions.Add(ArpAction<TPacket>.Drop(nextHop, packet, DropReason.NeighbourTableFull));
                return;
            }
            entry = new Entry(nextHop) { Updated = now };
            _entries.Add(nextHop, entry);
            SetState(entry, NeighbourState.Incomplete, actions);
            Enqueue(entry, packet, length, actions);
            Solicit(entry, MacAddress.Broadcast, now, actions);
            return;
        }

        entry.Used = now;
        switch (entry.State)
        {
            case NeighbourState.Incomplete:
                Enqueue(entry, packet, length, actions);
                break;
            case NeighbourState.Stale:
                SetState(entry, NeighbourState.Delay, actions);
                Arm(entry, Add(now, Options.DelayFirstProbeTime));
                actions.Add(ArpAction<TPacket>.Transmit(nextHop, entry.Mac, packet));
                break;
            default:
                actions.Add(ArpAction<TPacket>.Transmit(nextHop, entry.Mac, packet));
                break;
        }
    }

    /// <summary>
    /// Upper-layer proof that <paramref name="neighbour"/> is reachable (a TCP ACK that advanced
    /// SND.UNA, as Linux's <c>neigh_confirm</c>): an entry with an address becomes (or stays)
    /// <see cref="NeighbourState.Reachable"/> without sending a probe. Cheap enough to call per ACK.
    /// </summary>
    public void Confirm(IPv4Address neighbour, long now, ArpActions<TPacket> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (_entries.TryGetValue(neighbour, out var entry) && entry.State is not (NeighbourState.Incomplete or NeighbourState.Permanent))
            MakeReachable(entry, now, actions);
    }

    /// <summary>
    /// Sets a static mapping (<c>ip neigh replace … nud permanent</c>): never probed, never
    /// expired, never changed by ARP. Packets waiting for the neighbour go out now.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="mac"/> is not unicast.</exception>
    public void AddStatic(IPv4Address neighbour, MacAddress mac, long now, ArpActions<TPacket> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (!mac.IsUnicast) throw new ArgumentException($"A neighbour's address must be unicast, not {mac}.", nameof(mac));
        if (!_entries.TryGetValue(neighbour, out var entry))
        {
            entry = new Entry(neighbour);
            _entries.Add(neighbour, entry);
        }
        entry.Mac = mac;
        entry.Updated = now;
        entry.TimerId = 0;
        SetState(entry, NeighbourState.Permanent, actions);
        Flush(entry, actions);
    }

    /// <summary>Runs every timer due at or before <paramref name="now"/>: retransmissions, failures, state changes, expiry, announcements.</summary>
    public void Tick(long now, ArpActions<TPacket> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        while (_timers.TryPeek(out var timer, out var key) && key.Due <= now)
        {
            _timers.Dequeue();
            if (!IsLive(timer)) continue;
            if (timer.Entry is { } entry)
            {
                entry.TimerId = 0;
                OnEntryTimer(entry, now, actions);
            }
            else
            {
                timer.Announcer!.TimerId = 0;
                Announce(timer.Announcer, now, actions);
            }
        }
    }

    /// <summary>Forgets every entry and pending announcement; packets still queued come back as drops (<see cref="DropReason.NeighbourUnreachable"/>) to be released.</summary>
    public void Clear(ArpActions<TPacket> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        foreach (var entry in _entries.Values.ToArray()) Remove(entry, DropReason.NeighbourUnreachable, actions);
        foreach (var announcer in _announcing.Values) announcer.TimerId = 0;
        _announcing.Clear();
        _timers.Clear();
    }

    /// <summary>The entry for <paramref name="neighbour"/>, if the cache has one.</summary>
    public bool TryGetEntry(IPv4Address neighbour, out NeighbourEntry entry)
    {
        if (_entries.TryGetValue(neighbour, out var e))
        {
            entry = Snapshot(e);
            return true;
        }
        entry = default;
        return false;
    }

    /// <summary>A snapshot of every entry, ordered by address (what <c>ip neigh</c> lists).</summary>
    public IReadOnlyList<NeighbourEntry> Entries() =>
        _entries.Values.OrderBy(e => e.Address).Select(Snapshot).ToArray();

    private void OnEntryTimer(Entry entry, long now, ArpActions<TPacket> actions)
    {
        switch (entry.State)
        {
            case NeighbourState.Incomplete:
                if (entry.Probes < Options.MulticastProbes) Solicit(entry, MacAddress.Broadcast, now, actions);
                else Fail(entry, actions);
                break;

            case NeighbourState.Reachable:
                var deadline = Add(entry.Confirmed, entry.ReachableTime);
                if (now < deadline)
                {
                    Arm(entry, deadline); // confirmed again since the timer was set
                }
                else if (NoStalePhase)
                {
                    Counters.AddExpired();
                    Remove(entry, DropReason.NeighbourUnreachable, actions);
                }
                else if (now < Add(entry.Used, Options.DelayFirstProbeTime))
                {
                    // In use right now: straight to DELAY, as Linux does, rather than wait for the next packet.
                    SetState(entry, NeighbourState.Delay, actions);
                    Arm(entry, Add(now, Options.DelayFirstProbeTime));
                }
                else
                {
                    SetState(entry, NeighbourState.Stale, actions);
                    Arm(entry, Add(now, Options.StaleTime));
                }
                break;

            case NeighbourState.Stale:
                // Only the garbage-collection timer runs in STALE: the entry went unused.
                Counters.AddExpired();
                Remove(entry, DropReason.NeighbourUnreachable, actions);
                break;

            case NeighbourState.Delay:
                SetState(entry, NeighbourState.Probe, actions);
                entry.Probes = 0;
                Probe(entry, now, actions);
                break;

            case NeighbourState.Probe:
                Probe(entry, now, actions);
                break;
        }
    }

    private void Probe(Entry entry, long now, ArpActions<TPacket> actions)
    {
        if (entry.Probes < Options.UnicastProbes) Solicit(entry, entry.Mac, now, actions);
        else Fail(entry, actions);
    }

    // One request for the entry, to everyone while resolving or to the known address while
    // probing, sent from one of our addresses (the request's "tell" address).
    private void Solicit(Entry entry, MacAddress destination, long now, ArpActions<TPacket> actions)
    {
        entry.Probes = entry.Probes == int.MaxValue ? int.MaxValue : entry.Probes + 1;
        Arm(entry, Add(now, Options.RetransmitInterval));
        if (SourceFor() is not { } source) return; // no address yet: nothing to ask with (as minimart)
        actions.Add(ArpAction<TPacket>.SendArp(destination, ArpPacket.Request(Address, source, entry.Address)));
        Counters.AddRequestSent();
    }

    // The sender address of a request: one of ours, the lowest for determinism. A host with
    // addresses on several subnets of one interface would pick the one on the target's subnet;
    // the cache knows no prefixes, so the interface stage adds them if it ever needs to.
    private IPv4Address? SourceFor()
    {
        IPv4Address? best = null;
        foreach (var address in _addresses)
            if (best is null || address.Value < best.Value.Value) best = address;
        return best;
    }

    private void Fail(Entry entry, ArpActions<TPacket> actions)
    {
        Counters.AddFailed();
        Remove(entry, DropReason.NeighbourUnreachable, actions);
    }

    private void Merge(Entry entry, in ArpPacket arp, bool confirmed, long now, ArpActions<TPacket> actions)
    {
        // With no stale phase (minimart) hearing from a neighbour is all the confirmation there is.
        confirmed |= NoStalePhase;
        if (entry.State == NeighbourState.Incomplete)
        {
            entry.Mac = arp.SenderMac;
            entry.Updated = now;
            entry.Probes = 0;
            Counters.AddResolved();
            if (confirmed)
            {
                MakeReachable(entry, now, actions);
                Flush(entry, actions);
            }
            else
            {
                // Learned from their request rather than a reply to ours: usable, not confirmed.
                // Sending the queue is a use of a stale entry, which starts the DELAY wait.
                bool queued = entry.Queue is { Count: > 0 };
                SetState(entry, queued ? NeighbourState.Delay : NeighbourState.Stale, actions);
                Arm(entry, Add(now, queued ? Options.DelayFirstProbeTime : Options.StaleTime));
                if (queued) entry.Used = now;
                Flush(entry, actions);
            }
            return;
        }

        if (arp.SenderMac != entry.Mac)
        {
            // A new address within LockTime of the last change loses to the one we have, unless
            // the neighbour announces it itself.
            if (now - entry.Updated < Options.LockTime.Ticks && !arp.IsGratuitous) return;
            entry.Mac = arp.SenderMac;
            entry.Updated = now;
            Counters.AddChanged();
            if (confirmed)
            {
                MakeReachable(entry, now, actions);
            }
            else
            {
                SetState(entry, NeighbourState.Stale, actions);
                Arm(entry, Add(now, Options.StaleTime));
            }
            return;
        }

        // The same address again: a reply to us confirms it; anything else changes nothing (a
        // request never downgrades a reachable entry).
        if (confirmed) MakeReachable(entry, now, actions);
    }

    private void Learn(in ArpPacket arp, long now, ArpActions<TPacket> actions)
    {
        if (!MakeRoom(actions)) return; // still answered; just not remembered
        var entry = new Entry(arp.SenderIp) { Mac = arp.SenderMac, Updated = now };
        _entries.Add(arp.SenderIp, entry);
        Counters.AddLearned();
        if (NoStalePhase)
        {
            MakeReachable(entry, now, actions);
        }
        else
        {
            SetState(entry, NeighbourState.Stale, actions);
            Arm(entry, Add(now, Options.StaleTime));
        }
    }

    private void MakeReachable(Entry entry, long now, ArpActions<TPacket> actions)
    {
        entry.Confirmed = now;
        entry.ReachableTime = DrawReachableTime();
        var deadline = Add(now, entry.ReachableTime);
        // Re-arming on every confirmation of a reachable entry would churn the timer heap; the
        // armed timer re-reads Confirmed when it fires, and is only moved when it must come sooner.
        if (entry.State != NeighbourState.Reachable || entry.TimerId == 0 || deadline < entry.Due)
            Arm(entry, deadline);
        SetState(entry, NeighbourState.Reachable, actions);
    }

    private void Flush(Entry entry, ArpActions<TPacket> actions)
    {
        if (entry.Queue is null) return;
        while (entry.Queue.TryDequeue(out var queued))
            actions.Add(ArpAction<TPacket>.Transmit(entry.Address, entry.Mac, queued.Packet));
        entry.QueuedBytes = 0;
    }

    private void Enqueue(Entry entry, TPacket packet, int length, ArpActions<TPacket> actions)
    {
        if (Options.MaxQueuedPackets == 0 || length > Options.MaxQueuedBytes)
        {
            Counters.AddQueueOverflow();
            actions.Add(ArpAction<TPacket>.Drop(entry.Address, packet, DropReason.NeighbourQueueFull));
            return;
        }

        entry.Queue ??= new Queue<(TPacket, int)>();
        // As Linux does: the oldest waiting packets make way for the newest.
        while (entry.Queue.Count >= Options.MaxQueuedPackets || entry.QueuedBytes + length > Options.MaxQueuedBytes)
        {
            var oldest = entry.Queue.Dequeue();
            entry.QueuedBytes -= oldest.Length;
            Counters.AddQueueOverflow();
            actions.Add(ArpAction<TPacket>.Drop(entry.Address, oldest.Packet, DropReason.NeighbourQueueFull));
        }
        entry.Queue.Enqueue((packet, length));
        entry.QueuedBytes += length;
    }

    // Room for one more entry: evicts the least recently used stale entry, else the least recently
    // used one that has an address and is not static. Incomplete entries hold packets and a
    // resolution in progress, so they are never evicted. Only scans when the table is full.
    private bool MakeRoom(ArpActions<TPacket> actions)
    {
        if (_entries.Count < Options.MaxEntries) return true;
        Entry? victim = null;
        foreach (var e in _entries.Values)
        {
            if (e.State is NeighbourState.Incomplete or NeighbourState.Permanent) continue;
            if (victim is null || Rank(e).CompareTo(Rank(victim)) < 0) victim = e;
        }
        if (victim is null) return false;
        Counters.AddEvicted();
        Remove(victim, DropReason.NeighbourTableFull, actions);
        return true;

        static (int, long) Rank(Entry e) => (e.State == NeighbourState.Stale ? 0 : 1, Math.Max(e.Used, e.Updated));
    }

    private void Remove(Entry entry, DropReason queuedPacketsReason, ArpActions<TPacket> actions)
    {
        _entries.Remove(entry.Address);
        entry.TimerId = 0;
        if (entry.Queue is not null)
        {
            while (entry.Queue.TryDequeue(out var queued))
                actions.Add(ArpAction<TPacket>.Drop(entry.Address, queued.Packet, queuedPacketsReason));
            entry.QueuedBytes = 0;
        }
        if (entry.State != NeighbourState.None)
            actions.Add(ArpAction<TPacket>.StateChanged(entry.Address, entry.State, NeighbourState.None));
        entry.State = NeighbourState.None;
    }

    private void Announce(Announcer announcer, long now, ArpActions<TPacket> actions)
    {
        SendAnnouncement(announcer.Address, actions);
        if (--announcer.Remaining > 0)
        {
            announcer.TimerId = ++_lastTimerId;
            _timers.Enqueue(new Timer(null, announcer, announcer.TimerId), (Add(now, Options.AnnouncementInterval), announcer.TimerId));
        }
        else
        {
            _announcing.Remove(announcer.Address);
        }
    }

    // RFC 5227 §2.4 (b): defend with one announcement, then let further conflicts within
    // DEFEND_INTERVAL pass, so two hosts do not defend against each other forever.
    private void Defend(IPv4Address address, long now, ArpActions<TPacket> actions)
    {
        if (_lastDefended.TryGetValue(address, out var last) && now - last < Options.DefendInterval.Ticks) return;
        _lastDefended[address] = now;
        SendAnnouncement(address, actions);
    }

    private void SendAnnouncement(IPv4Address address, ArpActions<TPacket> actions)
    {
        var packet = Options.AnnouncementOperation == ArpOperation.Reply
            ? ArpPacket.GratuitousReply(Address, address)
            : ArpPacket.Announcement(Address, address);
        actions.Add(ArpAction<TPacket>.SendArp(MacAddress.Broadcast, packet));
        Counters.AddAnnouncementSent();
    }

    private static void SetState(Entry entry, NeighbourState state, ArpActions<TPacket> actions)
    {
        if (entry.State == state) return;
        actions.Add(ArpAction<TPacket>.StateChanged(entry.Address, entry.State, state));
        entry.State = state;
    }

    private void Arm(Entry entry, long due)
    {
        entry.TimerId = ++_lastTimerId;
        entry.Due = due;
        _timers.Enqueue(new Timer(entry, null, entry.TimerId), (due, entry.TimerId));
    }

    private bool IsLive(Timer timer) => timer.Entry is { } entry
        ? entry.TimerId == timer.Id
        : timer.Announcer!.TimerId == timer.Id;

    private long DrawReachableTime()
    {
        double factor = Options.MinRandomFactor == Options.MaxRandomFactor
            ? Options.MinRandomFactor
            : Options.MinRandomFactor + _random.NextDouble() * (Options.MaxRandomFactor - Options.MinRandomFactor);
        var ticks = Options.BaseReachableTime.Ticks * factor;
        return ticks >= long.MaxValue / 4 ? long.MaxValue / 4 : Math.Max(1, (long)ticks);
    }

    private bool NoStalePhase => Options.StaleTime == TimeSpan.Zero;

    // Sender or interface addresses that no station owns: limited broadcast, multicast, class E, loopback.
    private static bool IsUsableAddress(IPv4Address address) =>
        address.Value >> 28 < 0xE && address.Value >> 24 != 127;

    private static long Add(long at, TimeSpan span) => Add(at, span.Ticks);

    private static long Add(long at, long ticks) => ticks > 0 && at > long.MaxValue - ticks ? long.MaxValue : at + ticks;

    private static NeighbourEntry Snapshot(Entry e) =>
        new(e.Address, e.State == NeighbourState.Incomplete ? MacAddress.Zero : e.Mac, e.State, e.Queue?.Count ?? 0, e.Probes);

    private sealed class Entry(IPv4Address address)
    {
        public readonly IPv4Address Address = address;
        public NeighbourState State;
        public MacAddress Mac;
        public Queue<(TPacket Packet, int Length)>? Queue;
        public int QueuedBytes;
        public int Probes;
        public long Confirmed = Never;
        public long Used = Never;
        public long Updated = Never;
        public long ReachableTime;
        public long Due;
        public long TimerId;
    }

    private sealed class Announcer(IPv4Address address, int remaining)
    {
        public readonly IPv4Address Address = address;
        public int Remaining = remaining;
        public long TimerId;
    }

    private readonly record struct Timer(Entry? Entry, Announcer? Announcer, long Id);

    private sealed class DueOrder : IComparer<(long Due, long Id)>
    {
        public static readonly DueOrder Instance = new();

        public int Compare((long Due, long Id) x, (long Due, long Id) y)
        {
            int c = x.Due.CompareTo(y.Due);
            return c != 0 ? c : x.Id.CompareTo(y.Id);
        }
    }
}
