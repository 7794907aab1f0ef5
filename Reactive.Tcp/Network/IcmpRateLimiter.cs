namespace Reactive.Tcp.Network;

/// <summary>
/// A token bucket for outgoing ICMP errors, in the manner of Linux's <c>xrlim_allow</c>: time
/// itself is the token, earned up to <c>Burst × Interval</c>, and each error spends one interval.
/// Time comes from the caller (the stack's scheduler), so virtual-time tests see the same limits.
/// </summary>
internal sealed class IcmpRateLimiter(TimeSpan interval, int burst)
{
    private readonly long _cost = Math.Max(0, interval.Ticks);
    private readonly long _capacity = Math.Max(0, interval.Ticks) * Math.Max(1, burst);
    private long _tokens = Math.Max(0, interval.Ticks) * Math.Max(1, burst);
    private long _last = long.MinValue;

    /// <summary>True when an error may be sent at <paramref name="now"/> (ticks); spends a token if so.</summary>
    public bool TryTake(long now)
    {
        if (_last != long.MinValue && now > _last) _tokens = Math.Min(_capacity, _tokens + (now - _last));
        _last = Math.Max(_last, now);
        if (_tokens < _cost) return false;
        _tokens -= _cost;
        return true;
    }
}
