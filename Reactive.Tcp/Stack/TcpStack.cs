using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Api;
using Reactive.Tcp.Collections;
using Reactive.Tcp.Links;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Stack;

/// <summary>
/// A userspace TCP/IP stack over one <see cref="ILink"/>, built as an Rx pipeline:
/// link packets → parse (bad ones counted and dropped) → merged with application commands and
/// timer ticks → serialised → <c>GroupByUntil</c> per 4-tuple (a group ends when its connection is
/// CLOSED; <see cref="GroupByUntilClosedExtensions.GroupByUntilClosed{TSource, TKey, TDuration}"/>,
/// which does not allocate per element) → <c>Scan</c> over the pure <see cref="TcpStep"/> → effects carried out at the edge
/// (segments to the link, bytes to the application, timers on the injected <see cref="IScheduler"/>).
/// </summary>
public sealed partial class TcpStack : IDisposable
{
    private readonly ILink _link;
    private readonly Subject<StackEvent> _commands = new();
    private readonly object _gate = new();
    private readonly Dictionary<ConnectionKey, ConnectionHost> _hosts = new();
    private readonly Dictionary<ushort, ListenerState> _listeners = new();
    private readonly Dictionary<ushort, IObserver<UdpMessage>> _udpBindings = new();
    private readonly IsnGenerator _isn = new();
    private readonly IDisposable _pipeline;
    private readonly FragmentReassembler _reassembler;
    private readonly IcmpRateLimiter _icmpErrorLimit;
    private PooledPacket? _reassembled;
    private int _nextIdentification;
    private readonly Func<ConnectionHost?, StackEvent, ConnectionHost?> _step;
    private TcpEvent _inbound;
    private TcpEffects? _spareEffects;
    private bool _disposed;

    /// <summary>Starts a stack on <paramref name="link"/>; every timer and every serialised hop uses <paramref name="scheduler"/>.</summary>
    public TcpStack(ILink link, TcpStackOptions options, IScheduler scheduler)
    {
        _link = link ?? throw new ArgumentNullException(nameof(link));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Scheduler = scheduler ?? throw new ArgumentNullException(nameof(scheduler));
        Ports = new PortAllocator(options.EphemeralPortFirst, options.EphemeralPortLast, options.Seed);
        _reassembler = new FragmentReassembler(options.Reassembly, scheduler, _gate, Drops, SendReassemblyTimeExceeded);
        _icmpErrorLimit = new IcmpRateLimiter(options.IcmpErrors.Interval, options.IcmpErrors.Burst);

        // One delegate for every group (the event carries its key), not a closure per connection.
        _step = (host, e) => SafeStep(host ?? _hosts[e.Key], e);
        _pipeline = Observable.Merge(link.Inbound.Select(StackEvent.FromFrame), _commands)
            .Synchronize(_gate)
            .Select(Classify)
            .Where(e => e.Kind is StackEventKind.Tcp or StackEventKind.Host)
            .GroupByUntilClosed(e => e.Key, group => HostFor(group.Key))
            .SelectMany(group => group.Scan((ConnectionHost?)null, _step))
            .Subscribe(host => SafeExecute(host!), FailConnections);
    }

    /// <summary>The stack's options.</summary>
    public TcpStackOptions Options { get; }

    /// <summary>This stack's address.</summary>
    public IPv4Address Address => Options.Address;

    /// <summary>The scheduler every timer and hop runs on.</summary>
    public IScheduler Scheduler { get; }

    /// <summary>Packets dropped, by reason.</summary>
    public DropCounters Drops { get; } = new();

    /// <summary>What the stack has done.</summary>
    public StackCounters Counters { get; } = new();

    /// <summary>
    /// The live connection table: <c>Connections.Connect()</c> yields every connection as an Add,
    /// then an Update on each state change and a Remove when it is CLOSED.
    /// </summary>
    public ObservableCache<ConnectionInfo, ConnectionKey> Connections { get; } = new();

    /// <summary>The ports being listened on, as a change-set table.</summary>
    public ObservableCache<ushort, ushort> Listeners { get; } = new();

    /// <summary>Local port bookkeeping.</summary>
    public PortAllocator Ports { get; }

    /// <summary>Set if the pipeline itself ever failed (it should not: faults are contained per connection).</summary>
    public Exception? PipelineError { get; private set; }

    /// <summary>Number of connection blocks alive (any state but CLOSED).</summary>
    public int ConnectionCount
    {
        get { lock (_gate) return _hosts.Count; }
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
        lock (_gate)
        {
            if (port == 0) port = Ports.AllocateEphemeral();
            else if (_listeners.ContainsKey(port) || !Ports.TryClaim(port, exclusive: true))
                throw new InvalidOperationException($"Port {port} is already in use.");
            var binding = new TcpBinding(port, Unbind);
            _listeners[port] = new ListenerState(binding.Sink, backlog);
            Listeners.AddOrUpdate(port, port);
            return binding;
        }
    }

    private void Unbind(TcpBinding binding)
    {
        lock (_gate)
        {
            if (_listeners.TryGetValue(binding.LocalPort, out var current) && current.Observer == binding.Sink)
            {
                _listeners.Remove(binding.LocalPort);
                Ports.Release(binding.LocalPort);
                Listeners.Remove(binding.LocalPort);
            }
        }
    }

    /// <summary>
    /// Opens a connection to <paramref name="address"/>:<paramref name="port"/>. Cold: subscribing
    /// sends the SYN; the connection is emitted once ESTABLISHED, or the observable fails with a
    /// <see cref="TcpException"/> (refused, timed out). Disposing before then abandons the attempt.
    /// </summary>
    public IObservable<TcpConnection> Connect(IPv4Address address, ushort port) => Observable.Create<TcpConnection>(observer =>
    {
        ushort localPort = Ports.AllocateEphemeral();
        var key = new ConnectionKey(Address, localPort, address, port);
        var established = false;
        var host = new ConnectionHost(this, key, Observer.Create<TcpConnection>(
            c => { established = true; observer.OnNext(c); },
            observer.OnError,
            observer.OnCompleted));
        var scheduled = Scheduler.Schedule(() =>
        {
            bool atLimit;
            lock (_gate)
            {
                // Under the gate, which the pipeline's failure also holds: no host slips in after FailConnections.
                if (PipelineError is not null) { host.Fail(TcpError.Aborted); return; }
                atLimit = _hosts.Count >= Options.Limits.MaxConnections;
                if (!atLimit) _hosts[key] = host;
            }
            if (atLimit)
            {
                Ports.Release(localPort);
                Counters.ConnectRefusedAtLimit();
                observer.OnError(ConnectionLimitReached());
                return;
            }
            PostNow(StackEvent.ForHost(host, TcpEventKind.Connect));
        });
        return Disposable.Create(() =>
        {
            scheduled.Dispose();
            if (!established && !host.Finished) PostFromApp(host, TcpEvent.Of(TcpEventKind.Abort));
        });
    });

    /// <summary>
    /// Receives UDP datagrams sent to <paramref name="port"/>. Cold: subscribing binds the port,
    /// disposing unbinds it. Datagrams to an unbound port are dropped and counted.
    /// </summary>
    public IObservable<UdpMessage> ReceiveUdp(ushort port) => Observable.Create<UdpMessage>(observer =>
    {
        lock (_gate)
        {
            if (port == 0 || !_udpBindings.TryAdd(port, observer))
            {
                observer.OnError(new InvalidOperationException($"UDP port {port} is already bound."));
                return Disposable.Empty;
            }
        }
        return Disposable.Create(() =>
        {
            lock (_gate)
            {
                if (_udpBindings.TryGetValue(port, out var current) && current == observer) _udpBindings.Remove(port);
            }
        });
    });

    /// <summary>
    /// Sends one UDP datagram from <see cref="UdpMessage.LocalPort"/> to the remote endpoint. A
    /// datagram larger than the link's MTU goes out as IPv4 fragments (RFC 791), each with the same
    /// fresh identification.
    /// </summary>
    /// <exception cref="ArgumentException">The datagram exceeds what one IPv4 packet can hold (65,507 payload bytes).</exception>
    public void SendUdp(UdpMessage message)
    {
        var packet = PacketBuilder.BuildUdp(Address, message.RemoteAddress, message.LocalPort, message.RemotePort, message.Data.Span);
        if (packet.Length <= _link.Mtu)
        {
            _link.Send(packet);
            return;
        }
        // Only fragmented datagrams need an identification that differs from the last one's (RFC 6864).
        Ipv4Fragmenter.SetIdentification(packet, (ushort)Interlocked.Increment(ref _nextIdentification));
        foreach (var fragment in Ipv4Fragmenter.Fragment(packet, _link.Mtu)) _link.Send(fragment);
    }

    /// <summary>Opens a connection (see <see cref="Connect(IPv4Address, ushort)"/>).</summary>
    public IObservable<TcpConnection> Connect(string address, ushort port) => Connect(IPv4Address.Parse(address), port);

    /// <summary>Stops the pipeline. Connections are dropped without a word to their peers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_gate)
        {
            foreach (var host in _hosts.Values) host.CancelWake();
            _reassembler.Dispose();
            ReleaseReassembled();
        }
        _pipeline.Dispose();
        _commands.OnCompleted();
    }

    /// <summary>
    /// The segment that the event being handled carries (see <see cref="StackEvent"/>): filled in
    /// by parsing just before the event enters its group, read by the step.
    /// </summary>
    internal ref readonly TcpEvent InboundEvent => ref _inbound;

    /// <summary>The fragment reassembler (for tests: what it holds).</summary>
    internal FragmentReassembler Reassembler => _reassembler;

    internal bool IsListening(ushort port) => _listeners.ContainsKey(port);

    /// <summary>The state of the connection block for <paramref name="key"/>, if one is alive (including half-open ones no table shows).</summary>
    internal TcpState? StateOf(ConnectionKey key)
    {
        lock (_gate) return _hosts.TryGetValue(key, out var host) && host.Tcb is { } tcb ? tcb.State : null;
    }

    /// <summary>Whether the connection block for <paramref name="key"/> holds rented send or receive storage (for tests).</summary>
    internal bool HoldsBuffers(ConnectionKey key)
    {
        lock (_gate) return _hosts.TryGetValue(key, out var host) && host.Tcb is { } tcb && (tcb.SendBuffer.HasStorage || tcb.ReceiveBuffer.HasStorage);
    }

    internal uint NextIsn(ConnectionKey key, long now) =>
        Options.Tcp.IsnGenerator is { } isn ? isn(key, now) : _isn.Next(key, now);

    internal bool Accept(TcpConnection connection)
    {
        if (!_listeners.TryGetValue(connection.Key.LocalPort, out var listener)) return false;
        listener.Observer.OnNext(connection);
        return true;
    }

    internal void Transmit(ConnectionKey key, in TcpSegment segment)
    {
        // Written into a pooled buffer rather than a new array per packet; the link releases it
        // once the bytes have been delivered or written (ILink.Send(PooledPacket)).
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
        _link.Send(packet);
        Counters.SegmentOut();
    }

    /// <summary>Enters the serial pipeline right now (caller is not inside the pipeline).</summary>
    internal void PostNow(in StackEvent e)
    {
        if (!_disposed) _commands.OnNext(e);
    }

    /// <summary>Hands an application command to the pipeline on the scheduler, never re-entering it.</summary>
    /// <remarks>Only the event's kind and count travel: the application's commands carry nothing else.</remarks>
    internal void PostFromApp(ConnectionHost host, in TcpEvent ev)
    {
        System.Diagnostics.Debug.Assert(ev.Kind is not (TcpEventKind.Segment or TcpEventKind.Send), "Segments and data do not travel as application commands.");
        Post(StackEvent.ForHost(host, ev.Kind, ev.Count));
    }

    internal void PostFromApp(ConnectionHost host, HostCommand command, object? argument = null, long count = 0) =>
        Post(StackEvent.ForHost(host, command, argument, count));

    private void Post(in StackEvent e) =>
        Scheduler.Schedule((Stack: this, Event: e), static (_, state) => { state.Stack.PostNow(state.Event); return Disposable.Empty; });

    internal void Forget(ConnectionHost host)
    {
        if (_hosts.TryGetValue(host.Key, out var current) && current == host) _hosts.Remove(host.Key);
    }

    private IObservable<Unit> HostFor(ConnectionKey key)
    {
        if (!_hosts.TryGetValue(key, out var host))
        {
            host = new ConnectionHost(this, key);
            _hosts[key] = host;
        }
        return host;
    }

    /// <summary>The effects object for the next step (see <see cref="ConnectionHost.Effects"/>).</summary>
    internal TcpEffects RentEffects()
    {
        var fx = _spareEffects ?? new TcpEffects();
        _spareEffects = null;
        return fx;
    }

    internal void ReturnEffects(TcpEffects fx) => _spareEffects = fx;

    /// <summary>Parses link packets, answers pings, filters stale commands. Never throws.</summary>
    private StackEvent Classify(StackEvent e)
    {
        // A datagram reassembled for an earlier frame has been through the whole (synchronous,
        // serial) chain by now, its segment included, so its buffer can go back to the pool.
        ReleaseReassembled();
        try
        {
            if (e.Kind != StackEventKind.Frame)
            {
                if (e.Host is not null && (!_hosts.TryGetValue(e.Key, out var live) || live != e.Host))
                {
                    e.Host.Reject(e);
                    return StackEvent.Handled;
                }
                return e;
            }

            var frame = e.Frame;
            if (IsFragment(frame.Span))
            {
                var whole = Reassemble(frame);
                if (whole is null) return StackEvent.Handled;
                _reassembled = whole;
                frame = whole.Memory;
            }

            var reason = PacketParser.Parse(frame, out var packet);
            if (reason != DropReason.None) { Drops.Increment(reason); return StackEvent.Handled; }
            if (packet.Ip.Destination != Address) { Drops.Increment(DropReason.NotForUs); return StackEvent.Handled; }
            switch (packet.Kind)
            {
                case PacketKind.Tcp:
                    var source = packet.Ip.Source.Value;
                    if (source == 0 || source == 0xFFFFFFFF || (source >> 28) == 0xE || packet.Tcp.SourcePort == 0 || packet.Tcp.DestinationPort == 0)
                    {
                        Drops.Increment(DropReason.BadAddress);
                        return StackEvent.Handled;
                    }
                    Counters.SegmentIn();
                    if (!_hosts.ContainsKey(packet.TcpConnectionKey) && !AdmitWithoutConnection(packet.TcpConnectionKey, packet.Tcp)) return StackEvent.Handled;
                    _inbound.Kind = TcpEventKind.Segment;
                    _inbound.Segment = packet.Tcp;
                    return StackEvent.Segment(packet.TcpConnectionKey);
                case PacketKind.Udp:
                    if (_udpBindings.TryGetValue(packet.Udp.DestinationPort, out var binding))
                    {
                        binding.OnNext(new UdpMessage(packet.Ip.Source, packet.Udp.SourcePort, packet.Udp.DestinationPort, packet.Udp.Payload.ToArray()));
                    }
                    else
                    {
                        Drops.Increment(DropReason.NoConnection);
                        SendPortUnreachable(packet);
                    }
                    return StackEvent.Handled;
                case PacketKind.IcmpError:
                    return OnIcmpError(packet);
                case PacketKind.IcmpEcho when packet.Icmp.Type == IcmpType.EchoRequest && Options.AnswerPing:
                    _link.Send(PacketBuilder.BuildIcmpEchoReply(Address, packet.Ip.Source, packet.Icmp.Identifier, packet.Icmp.SequenceNumber, packet.Icmp.Data.Span));
                    Counters.EchoReply();
                    return StackEvent.Handled;
                default:
                    Drops.Increment(DropReason.UnsupportedProtocol);
                    return StackEvent.Handled;
            }
        }
        catch (Exception)
        {
            Counters.Fault();
            return StackEvent.Handled;
        }
    }

    private static bool IsFragment(ReadOnlySpan<byte> frame) =>
        frame.Length >= Ipv4Codec.MinHeaderLength && (frame[6] & 0x3F | frame[7]) != 0;

    /// <summary>Hands a fragment to the reassembler; returns the whole datagram once it is complete.</summary>
    private PooledPacket? Reassemble(ReadOnlyMemory<byte> frame)
    {
        var reason = Ipv4Codec.TryParse(frame.Span, out var ip);
        if (reason == DropReason.None && !Options.Reassembly.Enabled) reason = DropReason.Fragment;
        if (reason == DropReason.None && ip.Destination != Address) reason = DropReason.NotForUs;
        if (reason != DropReason.None)
        {
            Drops.Increment(reason);
            return null;
        }
        var whole = _reassembler.Accept(frame.Span, ip);
        if (whole is not null) Counters.DatagramReassembled();
        return whole;
    }

    private void ReleaseReassembled()
    {
        var held = _reassembled;
        _reassembled = null;
        held?.Release();
    }

    /// <summary>
    /// Port unreachable for a UDP datagram nobody takes (RFC 1122 §4.1.3.1), within the rate
    /// limit, and never to a source that is not one host (§3.2.2: not broadcast, multicast or
    /// unspecified). The datagram is never an ICMP error or a non-first fragment here: it is
    /// UDP, and fragments were reassembled into a whole before.
    /// </summary>
    private void SendPortUnreachable(in InboundPacket packet)
    {
        if (!Options.IcmpErrors.SendPortUnreachable || !IsUnicastHost(packet.Ip.Source)) return;
        if (!_icmpErrorLimit.TryTake(Scheduler.Now.UtcTicks))
        {
            Counters.IcmpErrorSuppressed();
            return;
        }
        _link.Send(PacketBuilder.BuildDestinationUnreachable(Address, packet.Packet.Span, UnreachableCode.Port));
        Counters.IcmpErrorSent();
    }

    private static bool IsUnicastHost(IPv4Address address)
    {
        uint value = address.Value;
        return value != 0 && value != 0xFFFFFFFF && (value >> 28) < 0xE && (value >> 24) != 0 && (value >> 24) != 127;
    }

    /// <summary>
    /// An ICMP Destination Unreachable about a packet of ours. Fragmentation needed for a TCP
    /// connection becomes a <see cref="TcpEventKind.PathMtu"/> event for its step, which checks the
    /// quoted sequence number (RFC 5927). Every other code is a soft error (RFC 1122 §4.2.3.9,
    /// RFC 5927 §4.2): counted and otherwise ignored, in every state; an attempt the peer never
    /// answers still ends by the SYN retransmission limit.
    /// </summary>
    private StackEvent OnIcmpError(in InboundPacket packet)
    {
        ref readonly var error = ref packet.IcmpError;
        if (error.QuotedSource != Address || !error.QuotesTransportHeader)
        {
            Drops.Increment(DropReason.IcmpNoConnection);
            return StackEvent.Handled;
        }
        if (error.QuotedProtocol != IpProtocol.Tcp)
        {
            // A UDP error has no socket to report to: the datagram API has no error channel.
            if (error.QuotedProtocol == IpProtocol.Udp) Counters.IcmpErrorReceived();
            else Drops.Increment(DropReason.IcmpNoConnection);
            return StackEvent.Handled;
        }
        var key = new ConnectionKey(Address, error.QuotedSourcePort, error.QuotedDestination, error.QuotedDestinationPort);
        if (!_hosts.TryGetValue(key, out var host) || host.Tcb is null)
        {
            Drops.Increment(DropReason.IcmpNoConnection);
            return StackEvent.Handled;
        }
        Counters.IcmpErrorReceived();
        if (error.Code != UnreachableCode.FragmentationNeeded) return StackEvent.Handled;
        Counters.PathMtuUpdate();
        _inbound = TcpEvent.PathMtu(error.NextHopMtu, error.QuotedSeq);
        return StackEvent.PathMtu(key);
    }

    /// <summary>
    /// The pipeline ended with an error: the link failed (a TUN device removed underneath it), as
    /// packets never fail it. Nothing will step the connections again, so each one ends now with
    /// <see cref="TcpError.Aborted"/> and the application hears of it instead of waiting forever.
    /// </summary>
    private void FailConnections(Exception error)
    {
        PipelineError = error;
        ConnectionHost[] hosts;
        lock (_gate) hosts = [.. _hosts.Values];
        foreach (var host in hosts) host.Fail(TcpError.Aborted);
    }

    private ConnectionHost SafeStep(ConnectionHost host, StackEvent e)
    {
        try
        {
            return host.Step(e);
        }
        catch (Exception)
        {
            Counters.Fault();
            host.Effects.Clear();
            return host;
        }
    }

    private void SafeExecute(ConnectionHost host)
    {
        try
        {
            host.Execute();
        }
        catch (Exception)
        {
            Counters.Fault();
        }
    }
}
