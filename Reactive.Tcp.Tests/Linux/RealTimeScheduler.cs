using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// An <see cref="EventLoopScheduler"/> for a real-time stack that is safe to dispose while timers are pending.
/// </summary>
/// <remarks>
/// Rx routes absolute-time work due more than ~10 s ahead (the stack's TIME-WAIT, 240 s) through
/// LocalScheduler's process-wide long-term queue, which never drops cancelled items: when such an
/// item comes due, or the system clock monitor reports a jump, Rx calls Schedule on the owning
/// EventLoopScheduler from a pool thread, and if that scheduler was disposed the
/// ObjectDisposedException crashes the process (seen here: the test host aborted). Turning absolute
/// times into relative ones keeps every item in the event loop's own queue, and after Dispose
/// scheduling is a no-op.
/// </remarks>
internal sealed class RealTimeScheduler : IScheduler, IDisposable
{
    private readonly EventLoopScheduler _loop = new(start => new Thread(start) { IsBackground = true, Name = "rxtcp stack" });
    private volatile bool _disposed;

    public DateTimeOffset Now => _loop.Now;

    public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action)
    {
        if (_disposed) return Disposable.Empty;
        try
        {
            return _loop.Schedule((self: this, action, state), static (_, s) => s.self._disposed ? Disposable.Empty : s.action(s.self, s.state));
        }
        catch (ObjectDisposedException)
        {
            return Disposable.Empty;
        }
    }

    public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        if (_disposed) return Disposable.Empty;
        try
        {
            return _loop.Schedule((self: this, action, state), Scheduler.Normalize(dueTime), static (_, s) => s.self._disposed ? Disposable.Empty : s.action(s.self, s.state));
        }
        catch (ObjectDisposedException)
        {
            return Disposable.Empty;
        }
    }

    public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
        Schedule(state, dueTime - Now, action);

    public void Dispose()
    {
        _disposed = true;
        _loop.Dispose();
    }
}
