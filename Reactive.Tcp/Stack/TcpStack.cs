using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Collections;
using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Links;
using Reactive.Tcp.Network;
using Reactive.Tcp.Rx;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Transport;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Stack;

/// <summary>
/// A userspace TCP/IP stack built as an Rx pipeline of layers, one stream each way:
/// <code>
/// link frames → Serialize → interface (L2) → IPv4 (validate, reassemble, ICMP, local delivery) → transports
///     TCP: Merge(segments, commands, timer ticks) → admission → GroupByUntil(4-tuple, until CLOSED) → Scan(state, step)
///     UDP: per-port bindings
/// every packet any layer emits → one merged outbound stream → routing → interface → link
/// </code>
/// Every timer and every serialised hop runs on the injected <see cref="IScheduler"/>, so the same
/// stack runs on an event loop or in virtual time. The whole flow is set up in the constructor
/// below; ARCHITECTURE.md follows one segment through it.
/// </summary>
public sealed class TcpStack : IDisposable
{
    private readonly Serializer _serializer = new();
    private readonly NetworkInterface[] _interfaces;
    private readonly RoutingTable _routes;
    private readonly Ipv4Stage _ipv4;
    private readonly TcpTransport _tcp;
    private readonly UdpTransport _udp;
    private readonly PortAllocator _ports;
    private readonly CompositeDisposable _pipeline = new();
    private bool _disposed;

    /// <summary>
    /// Starts a stack on one point-to-point <paramref name="link"/> holding <see cref="TcpStackOptions.Address"/>;
    /// with no <see cref="TcpStackOptions.Routes"/> everything is sent through the link.
    /// Every timer and every serialised hop uses <paramref name="scheduler"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="TcpStackOptions.Address"/> is not set.</exception>
    public TcpStack(ILink link, TcpStackOptions options, IScheduler scheduler)
        : this([new InterfaceOptions(link ?? throw new ArgumentNullException(nameof(link))) { Addresses = [new InterfaceAddress(RequireAddress(options), 32)] }],
            options.Routes.Count > 0 ? options : options with { Routes = [new Route(IPv4Prefix.Any)] }, scheduler)
    {
    }

    /// <summary>Starts a stack on <paramref name="interfaces"/> (at least one), with the routes <paramref name="options"/> gives besides their on-link prefixes.</summary>
    /// <exception cref="ArgumentException">No interface, an interface without addresses, or a route that names no interface.</exception>
    public TcpStack(IEnumerable<InterfaceOptions> interfaces, TcpStackOptions options, IScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Scheduler = scheduler ?? throw new ArgumentNullException(nameof(scheduler));
        _interfaces = [.. interfaces.Select((o, i) => (NetworkInterface)new RawIpInterface(i, o.Name ?? $"if{i}", o.Link, o.Addresses))];
        if (_interfaces.Length == 0) throw new ArgumentException("A stack needs at least one interface.", nameof(interfaces));
        if (_interfaces.FirstOrDefault(i => i.Addresses.Count == 0) is { } bare)
            throw new ArgumentException($"Interface {bare.Name} has no address.", nameof(interfaces));
        Address = _interfaces[0].PrimaryAddress;

        var faults = new FaultCounter();
        var networkCounters = new NetworkCounters();
        _routes = new RoutingTable(_interfaces, options.Routes);
        _ports = new PortAllocator(options.EphemeralPortFirst, options.EphemeralPortLast, options.Seed);
        _ipv4 = new Ipv4Stage(new LocalAddresses(_interfaces), options.Reassembly, options.IcmpErrors, options.AnswerPing,
            scheduler, _serializer.Gate, Drops, networkCounters, faults);
        _tcp = new TcpTransport(options.Tcp, options.Limits, _ports, options.SynCookieSecret, options.Seed,
            scheduler, _serializer, Drops, networkCounters, faults, static seam => new TcpConnection(seam));
        _udp = new UdpTransport(_serializer, _ipv4.IcmpErrors, Drops, networkCounters, faults);
        Counters = new StackCounters(networkCounters, _tcp.Counters, faults);

        // Outbound: every packet any layer emits, as one stream → routing → the interface → its link.
        _pipeline.Add(Observable.Merge(_tcp.Outbound, _udp.Outbound, _ipv4.Outbound)
            .Subscribe(new Ipv4Output(_routes, Drops, networkCounters, faults)));
        // TCP: Merge(segments, commands, timer ticks) → admission → GroupByUntil(4-tuple, until CLOSED) → Scan(state, step).
        _pipeline.Add(_tcp.Start());
        // Inbound: every interface's frames, one input at a time, down through the layers.
        var frames = _interfaces.Length == 1 ? _interfaces[0].Frames : _interfaces.Select(i => i.Frames).Merge();
        _pipeline.Add(frames
            .Serialize(_serializer, LinkFrameCopier.Instance)   // one input at a time, never one inside another
            .Through(new InterfaceStage(faults))                // Interfaces/: the IP packet out of its frame
            .Through(_ipv4)                                     // Network/: validate, reassemble, answer ICMP, local delivery
            .Subscribe(new TransportDemux(_tcp.Inbound, _udp, Drops)));  // Transport/: TCP or UDP, by protocol
    }

    /// <summary>The stack's options.</summary>
    public TcpStackOptions Options { get; }

    /// <summary>This stack's (first) address.</summary>
    public IPv4Address Address { get; }

    /// <summary>Every address the stack holds, with its interface's name.</summary>
    public IReadOnlyList<(string Interface, InterfaceAddress Address)> Addresses =>
        [.. _interfaces.SelectMany(i => i.Addresses.Select(a => (i.Name, a)))];

    /// <summary>The routes, longest prefix first (on-link prefixes included), as <c>ip route</c> would list them.</summary>
    public IReadOnlyList<Route> Routes => _routes.Routes;

    /// <summary>The scheduler every timer and hop runs on.</summary>
    public IScheduler Scheduler { get; }

    /// <summary>Packets dropped, by reason.</summary>
    public DropCounters Drops { get; } = new();

    /// <summary>What the stack has done.</summary>
    public StackCounters Counters { get; }

    /// <summary>
    /// The live connection table: <c>Connections.Connect()</c> yields every connection as an Add,
    /// then an Update on each state change and a Remove when it is CLOSED. Read-only to callers.
    /// </summary>
    public IObservableCache<ConnectionInfo, ConnectionKey> Connections => _tcp.Connections;

    /// <summary>The ports being listened on, as a change-set table. Read-only to callers.</summary>
    public IObservableCache<ushort, ushort> Listeners => _tcp.Listeners;

    /// <summary>The local ports listeners and connections hold.</summary>
    public IPortTable Ports => _ports;

    /// <summary>Set if the pipeline itself ever failed (its link broke; packets never fail it): every connection was ended then.</summary>
    public Exception? PipelineError => _tcp.PipelineError;

    /// <summary>
    /// Connection blocks alive, in any state but CLOSED: those in TIME-WAIT (<see cref="TimeWaitCount"/>)
    /// and the others, which alone count against <see cref="StackLimits.MaxConnections"/>.
    /// </summary>
    public int ConnectionCount
    {
        get { lock (_serializer.Gate) return _tcp.Table.Count + _tcp.TimeWait.Count; }
    }

    /// <summary>Connections in TIME-WAIT, each a small record without buffers (bounded by <see cref="StackLimits.MaxTimeWait"/>).</summary>
    public int TimeWaitCount => _tcp.TimeWait.Count;

    /// <summary>Half-open (SYN-RECEIVED) connections the stack holds, across its listeners.</summary>
    public int HalfOpenCount
    {
        get { lock (_serializer.Gate) return _tcp.HalfOpen; }
    }

    /// <summary>
    /// Listens on <paramref name="port"/> (0: a free port from the ephemeral range; the
    /// <see cref="Listeners"/> table shows which, or use <see cref="Bind(ushort)"/> to be told): each
    /// connection that completes its handshake is emitted. Cold: subscribing starts listening,
    /// disposing stops (established connections live on). Fails with
    /// <see cref="InvalidOperationException"/> if the port is taken.
    /// </summary>
    public IObservable<TcpConnection> Listen(ushort port) => Listen(port, Options.Limits.ListenBacklog);

    /// <summary>
    /// Listens on <paramref name="port"/> (see <see cref="Listen(ushort)"/>), holding at most
    /// <paramref name="backlog"/> half-open connections; further SYNs get SYN cookies or are
    /// dropped (<see cref="StackLimits.SynCookies"/>).
    /// </summary>
    public IObservable<TcpConnection> Listen(ushort port, int backlog) => Observable.Create<TcpConnection>(observer =>
    {
        if (backlog < 0) { observer.OnError(new ArgumentOutOfRangeException(nameof(backlog), "The backlog cannot be negative.")); return Disposable.Empty; }
        TcpBinding binding;
        try
        {
            binding = Bind(port, backlog);
        }
        catch (InvalidOperationException e)
        {
            observer.OnError(e);
            return Disposable.Empty;
        }
        var subscription = binding.Connections.Subscribe(observer);
        return Disposable.Create(() =>
        {
            subscription.Dispose();
            binding.Dispose();
        });
    });

    /// <summary>
    /// Starts listening on <paramref name="port"/> now; 0 picks a free port from the ephemeral
    /// range, which <see cref="TcpBinding.LocalPort"/> then says. Dispose the binding to stop.
    /// </summary>
    /// <exception cref="InvalidOperationException">The port is in use (or, for 0, no ephemeral port is free).</exception>
    public TcpBinding Bind(ushort port) => Bind(port, Options.Limits.ListenBacklog);

    /// <summary>
    /// Binds <paramref name="port"/> (see <see cref="Bind(ushort)"/>), holding at most
    /// <paramref name="backlog"/> half-open connections; further SYNs get SYN cookies or are
    /// dropped (<see cref="StackLimits.SynCookies"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="backlog"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The port is already in use.</exception>
    public TcpBinding Bind(ushort port, int backlog)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(backlog);
        lock (_serializer.Gate)
        {
            TcpBinding? binding = null;
            var accepted = new AcceptedConnections(() => binding!);
            port = _tcp.Bind(port, backlog, accepted);
            binding = new TcpBinding(port, b => Unbind(b, accepted));
            return binding;
        }
    }

    private void Unbind(TcpBinding binding, IObserver<IConnectionFacade> accepted)
    {
        lock (_serializer.Gate) _tcp.Unbind(binding.LocalPort, accepted);
    }

    /// <summary>
    /// Opens a connection to <paramref name="address"/>:<paramref name="port"/>. Cold: subscribing
    /// sends the SYN; the connection is emitted once ESTABLISHED, or the observable fails with a
    /// <see cref="TcpException"/> (refused, timed out, no route). Disposing before then abandons the attempt.
    /// </summary>
    public IObservable<TcpConnection> Connect(IPv4Address address, ushort port) => Observable.Create<TcpConnection>(observer =>
    {
        if (!_routes.TrySelectSource(address, out var source))
        {
            observer.OnError(new TcpException(TcpError.Aborted, $"No route to {address}: no route of the stack covers it."));
            return Disposable.Empty;
        }
        var established = false;
        var connected = Observer.Create<IConnectionFacade>(
            facade => { established = true; observer.OnNext((TcpConnection)facade); },
            observer.OnError,
            observer.OnCompleted);
        var state = _tcp.Connect(source, address, port, connected);
        return Disposable.Create(() =>
        {
            if (!established && !state.Finished) state.Abort();
        });
    });

    /// <summary>Opens a connection (see <see cref="Connect(IPv4Address, ushort)"/>).</summary>
    public IObservable<TcpConnection> Connect(string address, ushort port) => Connect(IPv4Address.Parse(address), port);

    /// <summary>
    /// Receives UDP datagrams sent to <paramref name="port"/>. Cold: subscribing binds the port,
    /// disposing unbinds it. Datagrams to an unbound port are dropped and counted.
    /// </summary>
    public IObservable<UdpMessage> ReceiveUdp(ushort port) => _udp.Receive(port);

    /// <summary>
    /// Sends one UDP datagram from <see cref="UdpMessage.LocalPort"/> to the remote endpoint. A
    /// datagram larger than the outgoing link's MTU goes out as IPv4 fragments (RFC 791), each with
    /// the same fresh identification. A datagram no route covers is dropped and counted.
    /// </summary>
    /// <exception cref="ArgumentException">The datagram exceeds what one IPv4 packet can hold (65,507 payload bytes).</exception>
    public void SendUdp(UdpMessage message)
    {
        if (!_routes.TrySelectSource(message.RemoteAddress, out var source)) source = Address;
        _udp.Send(source, message);
    }

    /// <summary>
    /// Stops the pipeline. Every connection ends at once (aborted: its observables fail, its peer
    /// hears nothing); later commands are refused.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _tcp.Dispose();
        lock (_serializer.Gate) _ipv4.Dispose();
        _pipeline.Dispose();
        _udp.Dispose();
    }

    /// <summary>The fragment reassembler (for tests: what it holds).</summary>
    internal FragmentReassembler Reassembler => _ipv4.Reassembler;

    /// <summary>The port bookkeeping itself (for tests that hold or free a port behind the stack's back).</summary>
    internal PortAllocator PortAllocator => _ports;

    internal bool IsListening(ushort port)
    {
        lock (_serializer.Gate) return _tcp.IsListening(port);
    }

    /// <summary>The state of the connection block for <paramref name="key"/>, if one is alive (including half-open ones no table shows).</summary>
    internal TcpState? StateOf(ConnectionKey key) => TcbOf(key)?.State;

    /// <summary>The connection block for <paramref name="key"/>, if one is alive (for tests that look inside).</summary>
    internal Tcb? TcbOf(ConnectionKey key)
    {
        lock (_serializer.Gate)
        {
            if (_tcp.Table.TryGetState(key, out var state)) return state.Tcb;
            return _tcp.TimeWait.TryGet(key, out var record) ? record.Tcb : null;
        }
    }

    /// <summary>Whether the connection block for <paramref name="key"/> holds rented send or receive storage (for tests).</summary>
    internal bool HoldsBuffers(ConnectionKey key) =>
        _tcp.Table.TryGetState(key, out var state) && state.Tcb is { } tcb && (tcb.SendBuffer.HasStorage || tcb.ReceiveBuffer.HasStorage);

    private static IPv4Address RequireAddress(TcpStackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Address == IPv4Address.Any)
            throw new ArgumentException("TcpStackOptions.Address is not set: a stack on one link needs the address it answers at.", nameof(options));
        return options.Address;
    }

    /// <summary>Hands a listener's accepted connections to its binding (made once the port is known).</summary>
    private sealed class AcceptedConnections(Func<TcpBinding> binding) : IObserver<IConnectionFacade>
    {
        public void OnNext(IConnectionFacade value) => binding().Accept((TcpConnection)value);

        public void OnError(Exception error)
        {
        }

        public void OnCompleted()
        {
        }
    }
}
