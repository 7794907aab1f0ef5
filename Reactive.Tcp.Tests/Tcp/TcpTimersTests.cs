using Reactive.Tcp.Tcp;
using Xunit;

namespace Reactive.Tcp.Tests.Tcp;

public class TcpTimersTests
{
    [Fact]
    public void New_timers_are_all_disarmed_and_have_no_next_deadline()
    {
        var timers = new TcpTimers();
        foreach (var kind in Enum.GetValues<TimerKind>())
        {
            Assert.False(timers.IsArmed(kind));
            Assert.False(timers.IsDue(kind, long.MaxValue - 1));
        }
        Assert.Equal(long.MaxValue, timers.NextDeadline);
    }

    [Fact]
    public void Next_deadline_is_the_earliest_armed_one_and_DisarmAll_clears_every_kind()
    {
        var timers = new TcpTimers();
        long at = 1000;
        foreach (var kind in Enum.GetValues<TimerKind>()) timers.Arm(kind, at--);
        Assert.Equal(at + 1, timers.NextDeadline);
        Assert.True(timers.IsDue(TimerKind.RecoveryCheck, at + 1));
        Assert.False(timers.IsDue(TimerKind.TransmitCheck, 999));

        timers.Disarm(TimerKind.RecoveryCheck);
        Assert.Equal(at + 2, timers.NextDeadline);

        timers.DisarmAll();
        Assert.Equal(long.MaxValue, timers.NextDeadline);
        foreach (var kind in Enum.GetValues<TimerKind>()) Assert.False(timers.IsArmed(kind));
    }

    [Fact]
    public void ArmIfDisarmed_keeps_an_armed_deadline_and_arms_a_disarmed_one()
    {
        var timers = new TcpTimers();
        timers.ArmIfDisarmed(TimerKind.TransmitCheck, 50);
        timers.ArmIfDisarmed(TimerKind.TransmitCheck, 10);
        Assert.Equal(50, timers[TimerKind.TransmitCheck]);
        timers.Arm(TimerKind.TransmitCheck, 10);
        Assert.Equal(10, timers[TimerKind.TransmitCheck]);
    }
}
