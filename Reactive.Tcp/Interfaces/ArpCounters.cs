namespace Reactive.Tcp.Interfaces;

/// <summary>What an <see cref="ArpCache{TPacket}"/> has done. Written by the cache's one thread, safe to read from any.</summary>
public sealed class ArpCounters
{
    private long _requestsSent, _repliesSent, _announcementsSent, _requestsReceived, _repliesReceived;
    private long _resolved, _failed, _learned, _changed, _queueOverflows, _conflicts, _evicted, _expired;

    /// <summary>Requests sent: broadcast while resolving, unicast while probing.</summary>
    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>Replies sent to requests for our addresses.</summary>
    public long RepliesSent => Interlocked.Read(ref _repliesSent);

    /// <summary>Announcements sent, when an address came up or to defend one.</summary>
    public long AnnouncementsSent => Interlocked.Read(ref _announcementsSent);

    /// <summary>Well-formed requests received (for anyone).</summary>
    public long RequestsReceived => Interlocked.Read(ref _requestsReceived);

    /// <summary>Well-formed replies received (solicited or not).</summary>
    public long RepliesReceived => Interlocked.Read(ref _repliesReceived);

    /// <summary>Incomplete entries that got an address.</summary>
    public long Resolved => Interlocked.Read(ref _resolved);

    /// <summary>Entries given up after their requests went unanswered (resolution or re-confirmation failed).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Entries created for a sender that asked for one of our addresses.</summary>
    public long Learned => Interlocked.Read(ref _learned);

    /// <summary>Entries whose hardware address changed.</summary>
    public long Changed => Interlocked.Read(ref _changed);

    /// <summary>Queued packets dropped because a neighbour's queue was full.</summary>
    public long QueueOverflows => Interlocked.Read(ref _queueOverflows);

    /// <summary>Packets from another station claiming one of our addresses.</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);

    /// <summary>Entries removed to make room for a new neighbour.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>Entries removed because they went unused (stale for <see cref="ArpOptions.StaleTime"/>, or past their lifetime with no stale phase).</summary>
    public long Expired => Interlocked.Read(ref _expired);

    internal void AddRequestSent() => Interlocked.Increment(ref _requestsSent);
    internal void AddReplySent() => Interlocked.Increment(ref _repliesSent);
    internal void AddAnnouncementSent() => Interlocked.Increment(ref _announcementsSent);
    internal void AddRequestReceived() => Interlocked.Increment(ref _requestsReceived);
    internal void AddReplyReceived() => Interlocked.Increment(ref _repliesReceived);
    internal void AddResolved() => Interlocked.Increment(ref _resolved);
    internal void AddFailed() => Interlocked.Increment(ref _failed);
    internal void AddLearned() => Interlocked.Increment(ref _learned);
    internal void AddChanged() => Interlocked.Increment(ref _changed);
    internal void AddQueueOverflow() => Interlocked.Increment(ref _queueOverflows);
    internal void AddConflict() => Interlocked.Increment(ref _conflicts);
    internal void AddEvicted() => Interlocked.Increment(ref _evicted);
    internal void AddExpired() => Interlocked.Increment(ref _expired);

    /// <inheritdoc />
    public override string ToString() =>
        $"requestsSent={RequestsSent} repliesSent={RepliesSent} announcementsSent={AnnouncementsSent} requestsReceived={RequestsReceived} " +
        $"repliesReceived={RepliesReceived} resolved={Resolved} failed={Failed} learned={Learned} changed={Changed} " +
        $"queueOverflows={QueueOverflows} conflicts={Conflicts} evicted={Evicted} expired={Expired}";
}
