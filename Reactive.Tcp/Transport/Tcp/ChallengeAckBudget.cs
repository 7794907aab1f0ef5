namespace Reactive.Tcp.Transport;

/// <summary>
/// The stack-wide allowance of challenge ACKs (RFC 5961 §7), refilled every second with a random
/// amount between half the limit and the limit: a fixed, shared count would let an attacker who
/// exhausts it learn whether some other connection just spent one (CVE-2016-5696).
/// </summary>
internal sealed class ChallengeAckBudget(int perSecond, int seed)
{
    private readonly Random _random = new(seed);
    private long _windowEnd = long.MinValue;
    private int _left;

    /// <summary>Takes one challenge ACK from the budget at <paramref name="nowTicks"/>; false when none is left.</summary>
    public bool TryTake(long nowTicks)
    {
        if (perSecond <= 0) return true;
        if (nowTicks >= _windowEnd)
        {
            _windowEnd = nowTicks + TimeSpan.TicksPerSecond;
            _left = perSecond - _random.Next(perSecond / 2 + 1);
        }
        if (_left <= 0) return false;
        _left--;
        return true;
    }
}
