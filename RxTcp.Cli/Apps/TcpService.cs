using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;

namespace RxTcp.Cli.Apps;

/// <summary>
/// Listens on one port of a <see cref="TcpStack"/> and hands every accepted connection to an
/// application's handler, keeping track of the live ones so that a shutdown can close them
/// (gracefully, then by reset) instead of leaving peers with half-open connections.
/// </summary>
public sealed class TcpService : IDisposable
{
    private readonly object _gate = new();
    private readonly HashSet<TcpConnection> _live = new();
    private readonly IDisposable _listener;
    private long _accepted;
    private int _disposed;

    /// <summary>Starts listening on <paramref name="port"/>; <paramref name="serve"/> runs on the stack's pipeline for each new connection.</summary>
    /// <param name="stack">The stack to listen on.</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="serve">The application: it owns the connection from then on (reads, writes, closes).</param>
    /// <exception cref="InvalidOperationException">The port is already in use on this stack.</exception>
    public TcpService(TcpStack stack, ushort port, Action<TcpConnection> serve)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(serve);
        Port = port;
        Exception? failure = null;
        _listener = stack.Listen(port).Subscribe(c => Accept(c, serve), e => failure = e);
        // Listen reports a taken port synchronously; surface it here rather than serve nothing.
        if (failure is not null) throw new InvalidOperationException(failure.Message, failure);
    }

    /// <summary>The port listened on.</summary>
    public ushort Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Connections not yet CLOSED.</summary>
    public int Live
    {
        get { lock (_gate) return _live.Count; }
    }

    /// <summary>Raised (on the stack's pipeline) for each accepted connection, before the application sees it.</summary>
    public event Action<TcpConnection>? Connected;

    /// <summary>Stops accepting; established connections carry on.</summary>
    public void StopListening() => _listener.Dispose();

    /// <summary>
    /// Stops accepting and closes every live connection: a FIN first, then, for connections that
    /// are not finished (CLOSED or TIME-WAIT) within <paramref name="grace"/>, a RST.
    /// </summary>
    /// <returns>How many connections had to be reset.</returns>
    public async Task<int> ShutdownAsync(TimeSpan grace)
    {
        StopListening();
        foreach (var c in Snapshot()) c.Close();
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline && Snapshot().Any(Unfinished)) await Task.Delay(20).ConfigureAwait(false);
        var stragglers = Snapshot().Where(Unfinished).ToArray();
        foreach (var c in stragglers) c.Abort();
        // The resets are written by the stack's pipeline; give it a moment before the link goes away.
        deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(500);
        while (DateTime.UtcNow < deadline && stragglers.Any(c => c.State != TcpState.Closed)) await Task.Delay(10).ConfigureAwait(false);
        return stragglers.Length;
    }

    /// <summary>Stops accepting and resets every live connection.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        StopListening();
        foreach (var c in Snapshot()) c.Abort();
    }

    private static bool Unfinished(TcpConnection c) => c.State is not (TcpState.Closed or TcpState.TimeWait);

    private TcpConnection[] Snapshot()
    {
        lock (_gate) return _live.ToArray();
    }

    private void Accept(TcpConnection connection, Action<TcpConnection> serve)
    {
        Interlocked.Increment(ref _accepted);
        lock (_gate) _live.Add(connection);
        connection.States.Subscribe(_ => { }, _ => Forget(connection), () => Forget(connection));
        Connected?.Invoke(connection);
        try
        {
            serve(connection);
        }
        catch (Exception)
        {
            // A faulty handler costs its own connection, never the listener.
            connection.Abort();
        }
    }

    private void Forget(TcpConnection connection)
    {
        lock (_gate) _live.Remove(connection);
    }
}
