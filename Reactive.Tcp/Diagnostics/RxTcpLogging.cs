using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Microsoft.Extensions.Logging;
using Reactive.Tcp.Api;
using Reactive.Tcp.Collections;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Transport;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics;

/// <summary>
/// Logs what a stack or a connection does through <see cref="ILogger"/>: connections that end
/// abnormally (reset, aborted, refused, timed out), dropped packets by reason, pipeline faults,
/// and (at Trace) every state change. Nothing is formatted unless its level is enabled, and
/// nothing is added to the per-packet path: the stack's connection table is observed (one event
/// per state change) and its drop counters are polled.
/// </summary>
public static partial class RxTcpLogging
{
    /// <summary>The category used by <see cref="LogEvents(TcpStack, ILoggerFactory, TimeSpan?, IScheduler?)"/>.</summary>
    public const string Category = "Reactive.Tcp";

    /// <summary>Logs <paramref name="stack"/>'s events to a logger of category <see cref="Category"/>.</summary>
    public static IDisposable LogEvents(this TcpStack stack, ILoggerFactory loggerFactory, TimeSpan? dropPollInterval = null, IScheduler? pollScheduler = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return stack.LogEvents(loggerFactory.CreateLogger(Category), dropPollInterval, pollScheduler);
    }

    /// <summary>
    /// Logs <paramref name="stack"/>'s events until the result is disposed:
    /// <list type="bullet">
    /// <item>Warning: a connection left the table from a state where a graceful close cannot end
    /// (anything but TIME-WAIT and LAST-ACK), i.e. it was reset, aborted, refused or timed out.</item>
    /// <item>Debug: packets dropped since the last poll, one entry per <see cref="DropReason"/>.</item>
    /// <item>Error: exceptions the pipeline caught (<see cref="StackCounters.PipelineFaults"/>).</item>
    /// <item>Trace: every change of the connection table.</item>
    /// </list>
    /// Drops are polled every <paramref name="dropPollInterval"/> (1 s by default) on
    /// <paramref name="pollScheduler"/> (the default scheduler unless given, so that virtual-time
    /// tests can drive it).
    /// </summary>
    public static IDisposable LogEvents(this TcpStack stack, ILogger logger, TimeSpan? dropPollInterval = null, IScheduler? pollScheduler = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(logger);
        string name = stack.Address.ToString();

        var table = stack.Connections.Connect().Subscribe(changes =>
        {
            foreach (var change in changes) OnChange(logger, name, change);
        });

        var seen = new long[Enum.GetValues<DropReason>().Length];
        long faultsSeen = 0;
        var poll = Observable.Interval(dropPollInterval ?? TimeSpan.FromSeconds(1), pollScheduler ?? DefaultScheduler.Instance)
            .Subscribe(_ =>
            {
                // The baseline moves even while the level is off, so enabling it later does not
                // report a burst of old drops as new.
                bool enabled = logger.IsEnabled(LogLevel.Debug);
                for (int i = 1; i < seen.Length; i++)
                {
                    long now = stack.Drops[(DropReason)i];
                    if (now != seen[i] && enabled) PacketsDropped(logger, name, now - seen[i], (DropReason)i, now);
                    seen[i] = now;
                }
                long faults = stack.Counters.PipelineFaults;
                if (faults != faultsSeen) PipelineFaulted(logger, name, faults - faultsSeen);
                faultsSeen = faults;
            });

        return new CompositeDisposable(table, poll);
    }

    /// <summary>
    /// Logs how one connection ends: Warning with its <see cref="TcpConnection.Error"/> when it
    /// failed, Debug when it closed gracefully, and (at Trace) each state change. Unlike the
    /// stack-wide <see cref="LogEvents(TcpStack, ILogger, TimeSpan?, IScheduler?)"/>, this knows the exact reason.
    /// </summary>
    public static IDisposable LogLifetime(this TcpConnection connection, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(logger);
        var key = connection.Key;
        return connection.States.Subscribe(
            state => ConnectionState(logger, key, RxTcpMetrics.StateName(state)),
            () =>
            {
                if (connection.Error == TcpError.None) ConnectionClosed(logger, key);
                else ConnectionFailed(logger, key, connection.Error);
            });
    }

    private static void OnChange(ILogger logger, string stack, in Change<ConnectionInfo, ConnectionKey> change)
    {
        var info = change.Current;
        if (change.Reason == ChangeReason.Remove)
        {
            if (info.State is TcpState.TimeWait or TcpState.LastAck) ConnectionRemoved(logger, stack, info.Key, RxTcpMetrics.StateName(info.State));
            else ConnectionEndedAbnormally(logger, stack, info.Key, RxTcpMetrics.StateName(info.State), info.SendQueued);
        }
        else if (logger.IsEnabled(LogLevel.Trace))
        {
            ConnectionChanged(logger, stack, info.Key, RxTcpMetrics.StateName(info.State), info.SendQueued, info.ReceiveQueued, info.SmoothedRtt.TotalMilliseconds);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "[{Stack}] {Connection} ended abnormally from {State} (reset, aborted, refused or timed out); {SendQueued} bytes were still queued")]
    private static partial void ConnectionEndedAbnormally(ILogger logger, string stack, ConnectionKey connection, string state, int sendQueued);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "[{Stack}] dropped {Count} packet(s): {Reason} ({Total} in all)")]
    private static partial void PacketsDropped(ILogger logger, string stack, long count, DropReason reason, long total);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "[{Stack}] the pipeline caught {Count} exception(s); each aborted only its own connection")]
    private static partial void PipelineFaulted(ILogger logger, string stack, long count);

    [LoggerMessage(EventId = 4, Level = LogLevel.Trace, Message = "[{Stack}] {Connection} {State}, send queue {SendQueued} B, receive queue {ReceiveQueued} B, srtt {RttMs} ms")]
    private static partial void ConnectionChanged(ILogger logger, string stack, ConnectionKey connection, string state, int sendQueued, int receiveQueued, double rttMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Trace, Message = "[{Stack}] {Connection} closed from {State}")]
    private static partial void ConnectionRemoved(ILogger logger, string stack, ConnectionKey connection, string state);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "{Connection} failed: {Error}")]
    private static partial void ConnectionFailed(ILogger logger, ConnectionKey connection, TcpError error);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "{Connection} closed gracefully")]
    private static partial void ConnectionClosed(ILogger logger, ConnectionKey connection);

    [LoggerMessage(EventId = 8, Level = LogLevel.Trace, Message = "{Connection} {State}")]
    private static partial void ConnectionState(ILogger logger, ConnectionKey connection, string state);
}
