using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// Every deadline of one connection, one per <see cref="TimerKind"/>, in absolute ticks
/// (<see cref="long.MaxValue"/> when not armed). One struct, so that a connection that ends disarms
/// them all with <see cref="DisarmAll"/> and the host asks one question, <see cref="NextDeadline"/>.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference
/// (<c>tcb.Timers.Arm(...)</c>), so it costs no object; never copy it into a local to change it.
/// <c>default</c> would read as every timer armed at tick 0: it is always made with <c>new()</c>.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct TcpTimers
{
    private Deadlines _at;

    /// <summary>All timers disarmed.</summary>
    public TcpTimers() => DisarmAll();

    /// <summary>When <paramref name="kind"/> fires; <see cref="long.MaxValue"/> when not armed.</summary>
    public readonly long this[TimerKind kind] => _at[(int)kind];

    /// <summary>Whether <paramref name="kind"/> is armed.</summary>
    public readonly bool IsArmed(TimerKind kind) => _at[(int)kind] != long.MaxValue;

    /// <summary>Whether <paramref name="kind"/> is armed for <paramref name="now"/> or earlier.</summary>
    public readonly bool IsDue(TimerKind kind, long now) => _at[(int)kind] <= now;

    /// <summary>Arms (or re-arms) <paramref name="kind"/> to fire at <paramref name="at"/>.</summary>
    public void Arm(TimerKind kind, long at) => _at[(int)kind] = at;

    /// <summary>Arms <paramref name="kind"/> at <paramref name="at"/> unless it is armed already (an earlier deadline stands).</summary>
    public void ArmIfDisarmed(TimerKind kind, long at)
    {
        if (_at[(int)kind] == long.MaxValue) _at[(int)kind] = at;
    }

    /// <summary>Disarms <paramref name="kind"/>.</summary>
    public void Disarm(TimerKind kind) => _at[(int)kind] = long.MaxValue;

    /// <summary>Disarms every timer (the backoff counters stay as they are).</summary>
    public void DisarmAll() => ((Span<long>)_at).Fill(long.MaxValue);

    /// <summary>The earliest armed deadline, or <see cref="long.MaxValue"/>.</summary>
    public readonly long NextDeadline
    {
        get
        {
            long next = long.MaxValue;
            foreach (long at in (ReadOnlySpan<long>)_at)
                if (at < next) next = at;
            return next;
        }
    }

    /// <summary>One deadline per <see cref="TimerKind"/>, inline.</summary>
    [InlineArray(TimerCount)]
    private struct Deadlines
    {
        private long _first;
    }

    private const int TimerCount = (int)TimerKind.RecoveryCheck + 1;
}
