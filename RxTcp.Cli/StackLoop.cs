using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace RxTcp.Cli;

/// <summary>
/// The real-time scheduler a command's stack runs on: one event-loop thread, safe to dispose while
/// timers are still pending.
/// </summary>
/// <remarks>
/// Rx sends absolute-time work due far ahead (TIME-WAIT: 240 s) through a process-wide long-term
/// queue that calls back into its scheduler even after that scheduler is disposed, which throws on
/// a pool thread and takes the process down. Turning absolute times into relative ones keeps every
/// item in the loop's own queue, and after <see cref="Dispose"/> scheduling is a no-op.
/// </remarks>
public sealed class StackLoop : IScheduler, IDisposable
{
    private readonly EventLoopScheduler _loop;
    private volatile bool _disposed;

    /// <summary>Starts the loop thread, named <paramref name="name"/> for debuggers and <c>top -H</c>.</summary>
    public StackLoop(string name = "rxtcp stack") =>
        _loop = new EventLoopScheduler(start => new Thread(start) { IsBackground = true, Name = name });

    /// <inheritdoc />
    public DateTimeOffset Now => _loop.Now;

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action) =>
        Schedule(state, TimeSpan.Zero, action);

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        if (_disposed) return Disposable.Empty;
        try
        {
            return _loop.Schedule((self: this, action, state), Scheduler.Normalize(dueTime),
                static (_, s) => s.self._disposed ? Disposable.Empty : s.action(s.self, s.state));
        }
        catch (ObjectDisposedException)
        {
            return Disposable.Empty;
        }
    }

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
        Schedule(state, dueTime - Now, action);

    /// <summary>Stops the loop; pending work is dropped.</summary>
    public void Dispose()
    {
        _disposed = true;
        _loop.Dispose();
    }
}
