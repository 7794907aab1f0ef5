using System.Globalization;
using Reactive.Tcp.Collections;
using Reactive.Tcp.Diagnostics;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace RxTcp.Cli;

/// <summary>
/// <c>rxtcp serve --netstat</c>: prints the stack's live connection table as it changes, one line
/// per change (<c>+</c> added, <c>~</c> updated, <c>-</c> removed, with why it closed), stamped
/// with the stack's clock.
/// </summary>
public sealed class NetstatPrinter : IDisposable
{
    private readonly TextWriter _output;
    private readonly TcpStack _stack;
    private readonly object _gate = new();
    private readonly IDisposable _subscription;

    /// <summary>Starts printing <paramref name="stack"/>'s table to <paramref name="output"/>: a header, the rows it has now, then each change.</summary>
    public NetstatPrinter(TcpStack stack, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(output);
        _stack = stack;
        _output = output;
        output.WriteLine(Header);
        _subscription = stack.Connections.Connect().Subscribe(OnChanges);
    }

    /// <summary>The column titles.</summary>
    public static string Header { get; } = string.Create(CultureInfo.InvariantCulture,
        $"{"time",-12} {"",1} {"local",-21} {"remote",-21} {"state",-12} {"send-q",8} {"recv-q",8} {"srtt",9} {"cwnd",9}  note");

    /// <summary>One line for one change of the table.</summary>
    public static string Format(DateTimeOffset now, in Change<ConnectionInfo, ConnectionKey> change)
    {
        var row = change.Current;
        char mark = change.Reason switch { ChangeReason.Add => '+', ChangeReason.Remove => '-', _ => '~' };
        string note = change.Reason == ChangeReason.Remove
            ? "closed: " + Reason(row.CloseReason)
            : row.Passive ? "accepted" : "connected by us";
        return string.Create(CultureInfo.InvariantCulture,
            $"{now.UtcDateTime:HH:mm:ss.fff} {mark} {Endpoint(row.Key.LocalAddress, row.Key.LocalPort),-21} {Endpoint(row.Key.RemoteAddress, row.Key.RemotePort),-21} "
            + $"{RxTcpMetrics.StateName(row.State),-12} {row.SendQueued,8} {row.ReceiveQueued,8} {row.SmoothedRtt.TotalMilliseconds,7:0.0}ms "
            + $"{(row.CongestionWindow is { } cwnd ? cwnd.ToString(CultureInfo.InvariantCulture) : "-"),9}  {note}");
    }

    /// <summary>Stops printing.</summary>
    public void Dispose() => _subscription.Dispose();

    private void OnChanges(IChangeSet<ConnectionInfo, ConnectionKey> changes)
    {
        // Changes come from the stack's pipeline; one writer at a time keeps the lines whole.
        lock (_gate)
        {
            foreach (var change in changes) _output.WriteLine(Format(_stack.Scheduler.Now, change));
            _output.Flush();
        }
    }

    private static string Endpoint(IPv4Address address, ushort port) => $"{address}:{port}";

    private static string Reason(ConnectionCloseReason? reason) => reason switch
    {
        ConnectionCloseReason.Graceful => "graceful",
        ConnectionCloseReason.Refused => "refused",
        ConnectionCloseReason.ResetByPeer => "reset by peer",
        ConnectionCloseReason.TimedOut => "timed out",
        ConnectionCloseReason.Aborted => "aborted here",
        _ => "unknown",
    };
}
