using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Collections;
using Reactive.Tcp.Network;
using Reactive.Tcp.Rx;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// The TCP transport of a stack: segments from the network layer, the application's commands and
/// the connections' timer ticks, merged, admitted (<see cref="TcpAdmission"/>), grouped per 4-tuple
/// until the connection is CLOSED, and stepped by a <c>Scan</c> per connection
/// (<see cref="ConnectionState.Step"/>); every segment it sends joins the stack's outbound stream
/// (<see cref="Outbound"/>). Listeners, ports and the connection table live here.
/// </summary>
internal sealed class TcpTransport : IDisposable
{
    private readonly Subject<InboundPacket> _segments = new();
    private readonly Subject<TcpInput> _commands = new();
    private readonly Subject<OutboundPacket> _outbound = new();
    private readonly Dictionary<ushort, ListenerState> _listeners = new();
    private readonly IsnGenerator _isn = new();
    private readonly Serializer _serializer;
    private readonly Func<IConnectionSeam, IConnectionFacade> _createFacade;
    private readonly int _challengeSeed;
    private ChallengeAckBudget? _challengeAcks;
    private IDisposable? _pipeline;
    private volatile bool _stopped;

    public TcpTransport(TcpConfig config, StackLimits limits, PortAllocator ports, byte[]? synCookieSecret, int? seed,
        IScheduler scheduler, Serializer serializer, DropCounters drops, NetworkCounters networkCounters, FaultCounter faults,
        Func<IConnectionSeam, IConnectionFacade> createFacade)
    {
        Config = config;
        Limits = limits;
        Ports = ports;
        SynCookieSecret = synCookieSecret;
        Scheduler = scheduler;
        Drops = drops;
        NetworkCounters = networkCounters;
        Faults = faults;
        _serializer = serializer;
        _createFacade = createFacade;
        _challengeSeed = seed ?? Random.Shared.Next();
        Timers = new ConnectionTimers(scheduler, serializer.Gate);
        TimeWait = new TimeWaitTable(this, scheduler, serializer.Gate);
    }

    /// <summary>
    /// Runs the transport: <c>Merge(segments, commands and ticks) → admission → GroupByUntil(4-tuple,
    /// until CLOSED) → Scan(state, step)</c>. Disposing the result stops it.
    /// </summary>
    public IDisposable Start() => _pipeline = Observable.Merge(_segments.Select(static packet => TcpInput.FromPacket(packet)), _commands.Serialize(_serializer))
        .Through(new TcpAdmission(this))
        .GroupByUntilClosed(Table, static input => input.Key, OpenConnection, static group => group.State)
        .SelectMany(static group => group.Scan(group.State, ConnectionState.Step))
        .Subscribe(static _ => { }, static _ => { });

    /// <summary>Segments and ICMP errors about them, from the network layer.</summary>
    public IObserver<InboundPacket> Inbound => _segments;

    /// <summary>Every segment the transport sends (data, ACKs, RSTs, SYN cookies).</summary>
    public IObservable<OutboundPacket> Outbound => _outbound;

    /// <summary>The one connection table: each live connection's group and state.</summary>
    public GroupTable<ConnectionKey, ConnectionState> Table { get; } = new();

    /// <summary>The connection table as the application watches it (rows made on demand).</summary>
    public ObservableCache<ConnectionInfo, ConnectionKey> Connections { get; } = new();

    /// <summary>The ports listened on.</summary>
    public ObservableCache<ushort, ushort> Listeners { get; } = new();

    public TcpConfig Config { get; }
    public StackLimits Limits { get; }
    public PortAllocator Ports { get; }
    public byte[]? SynCookieSecret { get; }
    public IScheduler Scheduler { get; }
    public DropCounters Drops { get; }
    public NetworkCounters NetworkCounters { get; }
    public TcpCounters Counters { get; } = new();
    public FaultCounter Faults { get; }

    /// <summary>Connections in TIME-WAIT, apart from the live ones.</summary>
    public TimeWaitTable TimeWait { get; }

    /// <summary>Every connection's timer, behind one scheduler wake.</summary>
    public ConnectionTimers Timers { get; }

    /// <summary>The effects of the step in progress (steps never nest: the stack's inputs are serialised).</summary>
    public TcpEffects Effects { get; } = new();

    /// <summary>The current time in ticks, as the step receives it.</summary>
    public long Now => Scheduler.Now.UtcTicks;

    /// <summary>Set once the pipeline failed (its link broke): every connection has been ended.</summary>
    public Exception? PipelineError { get; private set; }

    /// <summary>Half-open (SYN-RECEIVED) connections across the listeners.</summary>
    public int HalfOpen { get; private set; }

    /// <summary>Starts listening on <paramref name="port"/> (0: a free ephemeral one); returns the port.</summary>
    /// <exception cref="InvalidOperationException">The port is in use.</exception>
    public ushort Bind(ushort port, int backlog, IObserver<IConnectionFacade> accepted)
    {
        if (port == 0) port = Ports.AllocateEphemeral();
        else if (_listeners.ContainsKey(port) || !Ports.TryClaim(port, exclusive: true))
            throw new InvalidOperationException($"Port {port} is already in use.");
        _listeners[port] = new ListenerState(accepted, backlog);
        Listeners.AddOrUpdate(port, port);
        return port;
    }

    /// <summary>Stops listening on <paramref name="port"/> if <paramref name="accepted"/> still listens there.</summary>
    public void Unbind(ushort port, IObserver<IConnectionFacade> accepted)
    {
        if (!_listeners.TryGetValue(port, out var current) || current.Observer != accepted) return;
        _listeners.Remove(port);
        Ports.Release(port);
        Listeners.Remove(port);
    }

    /// <summary>
    /// Starts an active open from <paramref name="source"/> to <paramref name="remote"/>:<paramref name="remotePort"/>,
    /// on a free ephemeral port; <paramref name="connected"/> hears of the connection or why it failed.
    /// </summary>
    public ConnectionState Connect(IPv4Address source, IPv4Address remote, ushort remotePort, IObserver<IConnectionFacade> connected)
    {
        var key = new ConnectionKey(source, Ports.AllocateEphemeral(), remote, remotePort);
        var state = new ConnectionState(this, key, connected);
        Post(TcpInput.For(state, ConnectionCommand.Connect));
        return state;
    }

    internal bool TryGetListener(ushort port, out ListenerState listener) => _listeners.TryGetValue(port, out listener!);

    internal bool IsListening(ushort port) => _listeners.ContainsKey(port);

    /// <summary>Hands an established passive connection to its listener; false when nobody listens any more.</summary>
    internal bool Accept(ushort port, IConnectionFacade facade)
    {
        if (!_listeners.TryGetValue(port, out var listener)) return false;
        listener.Observer.OnNext(facade);
        return true;
    }

    internal IConnectionFacade CreateFacade(IConnectionSeam seam) => _createFacade(seam);

    /// <summary>A listener's new half-open connection takes a place in its SYN queue.</summary>
    internal ListenerState? EnterSynQueue(ushort port)
    {
        if (!_listeners.TryGetValue(port, out var listener)) return null;
        listener.HalfOpen++;
        HalfOpen++;
        return listener;
    }

    /// <summary>The half-open connection is established or gone: its place is free again.</summary>
    internal void LeaveSynQueue(ListenerState listener)
    {
        listener.HalfOpen--;
        HalfOpen--;
    }

    /// <summary>Whether the stack-wide budget allows one more challenge ACK now (counted when not).</summary>
    internal bool TryTakeChallengeAck(long now)
    {
        _challengeAcks ??= new ChallengeAckBudget(Limits.ChallengeAcksPerSecond, _challengeSeed);
        if (_challengeAcks.TryTake(now)) return true;
        Counters.ChallengeAckSuppressed();
        return false;
    }

    internal uint NextIsn(ConnectionKey key, long now) =>
        Config.IsnGenerator is { } isn ? isn(key, now) : _isn.Next(key, now);

    /// <summary>Sends one segment of <paramref name="key"/>'s connection: an IP packet in a pooled buffer, onto the outbound stream.</summary>
    internal void Transmit(ConnectionKey key, in TcpSegment segment)
    {
        var packet = PooledPacket.Rent(PacketBuilder.GetTcpPacketLength(segment));
        try
        {
            PacketBuilder.WriteTcp(packet.Span, key.LocalAddress, key.RemoteAddress, segment);
        }
        catch
        {
            packet.Release();
            throw;
        }
        _outbound.OnNext(new OutboundPacket(packet));
        Counters.SegmentOut();
    }

    /// <summary>Enters the serial pipeline now (the caller is not inside it: a timer, or the scheduler's turn).</summary>
    internal void PostNow(in TcpInput input)
    {
        if (_stopped) input.Target?.Reject(input);
        else _commands.OnNext(input);
    }

    /// <summary>Hands a command to the pipeline on the scheduler, never re-entering it.</summary>
    internal void Post(in TcpInput input)
    {
        if (_stopped)
        {
            input.Target?.Reject(input);
            return;
        }
        Scheduler.Schedule((Transport: this, Input: input), static (_, s) => { s.Transport.PostNow(s.Input); return Disposable.Empty; });
    }

    /// <summary>
    /// The pipeline failed (a link broke; packets never fail it) or the stack is going away: nothing
    /// will step the connections again, so each one ends now with <see cref="TcpError.Aborted"/> and
    /// the application hears of it instead of waiting for ever.
    /// </summary>
    internal void FailConnections(Exception? error)
    {
        _stopped = true;
        if (error is not null) PipelineError ??= error;
        foreach (var state in Table.States())
        {
            try
            {
                state.Fail(TcpError.Aborted);
            }
            catch (Exception)
            {
                // An application observer that throws on hearing of the abort (Rx's default when no
                // error handler was given) must not stop the others from hearing.
                Faults.Record();
            }
        }
    }

    /// <summary>The state a group opens with: the one its first input names (a <c>Connect</c>, a SYN cookie), else a new one.</summary>
    private ConnectionState OpenConnection(ConnectionKey key, TcpInput first) => first.Target ?? new ConnectionState(this, key);

    /// <summary>Stops the transport: every connection ends (aborted, without a word to its peer), later commands are refused.</summary>
    public void Dispose()
    {
        lock (_serializer.Gate)
        {
            Timers.Stop();
            FailConnections(null);
            TimeWait.Stop();
            _pipeline?.Dispose();
        }
        _commands.OnCompleted();
        _outbound.OnCompleted();
    }
}
