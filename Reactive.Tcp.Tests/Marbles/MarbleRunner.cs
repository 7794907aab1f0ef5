using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Marbles;

/// <summary>What a scenario actually did.</summary>
internal sealed class MarbleRun
{
    /// <summary>Every packet the stack sent, at its virtual time (ticks), parsed.</summary>
    public List<SentSegment> Sent { get; } = new();
    /// <summary>Every change of the tracked connection's state letter, at its virtual time (ticks).</summary>
    public List<(long Time, char State)> States { get; } = new();
    public byte[] Received { get; set; } = [];
    public bool Eof { get; set; }
    public TcpError Error { get; set; }
    public string ErrorSource { get; set; } = "";
    public Dictionary<DropReason, long> Drops { get; } = new();
    public long Retransmissions { get; set; }
    /// <summary>Problems with the run itself: an app action that could not be done, a pipeline fault.</summary>
    public List<string> Problems { get; } = new();
}

/// <summary>A packet the stack sent; <see cref="Problem"/> is set when it is not a TCP segment of the scenario's connection.</summary>
internal sealed record SentSegment(long Time, TcpSegment Segment, string? Problem);

/// <summary>
/// Runs a <see cref="MarbleScenario"/> against a real <see cref="TcpStack"/> on a <see cref="CapturingLink"/>
/// in virtual time. Within a frame the app acts first (at the frame's start; its commands reach the
/// stack one tick later), then the peer's segments are injected (<see cref="InOffset"/> after the start).
/// </summary>
internal static class MarbleRunner
{
    /// <summary>Source address of the ICMP errors an <c>icmp</c> definition injects (a router on the path).</summary>
    private static readonly IPv4Address IcmpRouter = IPv4Address.Parse("203.0.113.1");

    /// <summary>Where in its frame an <c>in:</c> segment is injected: after the app's commands of that frame have been taken.</summary>
    public const long InOffset = 10;

    /// <summary>The SYN-cookie key of every scenario's stack: bytes 0x00..0x0f.</summary>
    public static readonly byte[] MarbleCookieSecret = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();

    public static MarbleRun Run(MarbleScenario sc)
    {
        var run = new MarbleRun();
        var scheduler = new ProbingScheduler();
        using var link = new CapturingLink(scheduler);
        var stack = new TcpStack(link, new TcpStackOptions
        {
            Address = sc.LocalAddress,
            Tcp = sc.Config,
            // Active opens use the scenario's local port.
            EphemeralPortFirst = sc.LocalPort,
            EphemeralPortLast = sc.LocalPort,
            Seed = 1,
            Limits = sc.Limits,
            // Like the ISN, SYN cookies are fixed so that a scenario can write the ACK that returns one.
            SynCookieSecret = MarbleCookieSecret,
        }, scheduler);
        var key = new ConnectionKey(sc.LocalAddress, sc.LocalPort, sc.RemoteAddress, sc.RemotePort);
        var app = new AppDriver(sc, stack, scheduler, run);

        // The state lane: after every scheduled action, look at the connection's state letter.
        char last = 'C';
        bool existed = false;
        scheduler.AfterEach = () =>
        {
            char now = ReadState(stack, key, sc.LocalPort, ref existed);
            if (now == last) return;
            last = now;
            run.States.Add((scheduler.Clock, now));
        };

        foreach (var e in sc.App.Events)
            scheduler.ScheduleAbsolute(e, e.Time, (_, ev) => { foreach (char c in ev.Symbols) app.Do(c, ev); return System.Reactive.Disposables.Disposable.Empty; });
        foreach (var e in sc.In.Events)
        {
            scheduler.ScheduleAbsolute(e, e.Time + InOffset, (_, ev) =>
            {
                foreach (char c in ev.Symbols)
                {
                    var pattern = sc.Segments[c];
                    if (pattern.IcmpCode is { } code)
                    {
                        // A router's error about a segment of ours: the quote runs local → remote.
                        var ours = PacketBuilder.BuildTcp(sc.LocalAddress, sc.RemoteAddress, pattern.Build(sc.LocalPort, sc.RemotePort));
                        link.Inject(PacketBuilder.BuildDestinationUnreachable(IcmpRouter, ours, (UnreachableCode)code, pattern.IcmpMtu));
                        continue;
                    }
                    var segment = pattern.Build(sc.RemotePort, sc.LocalPort);
                    link.Inject(PacketBuilder.BuildTcp(sc.RemoteAddress, sc.LocalAddress, segment));
                }
                return System.Reactive.Disposables.Disposable.Empty;
            });
        }

        long end = sc.EndTime;
        try
        {
            if (end > 0) scheduler.AdvanceTo(end - 1);
        }
        catch (Exception ex)
        {
            run.Problems.Add($"the run threw at {MarbleParser.FormatDuration(scheduler.Clock)}: {ex.GetType().Name}: {ex.Message}");
        }

        foreach (var (at, packet) in link.SentPackets)
            run.Sent.Add(Describe(at.UtcTicks, packet, sc));
        app.Finish();
        foreach (var reason in Enum.GetValues<DropReason>())
            if (reason != DropReason.None && stack.Drops[reason] != 0) run.Drops[reason] = stack.Drops[reason];
        run.Retransmissions = stack.Counters.Retransmissions;
        if (stack.Counters.PipelineFaults != 0) run.Problems.Add($"the stack caught {stack.Counters.PipelineFaults} exception(s) in its pipeline");
        if (stack.PipelineError is { } pe) run.Problems.Add($"the stack's pipeline failed: {pe}");
        stack.Dispose();
        return run;
    }

    private static char ReadState(TcpStack stack, ConnectionKey key, ushort localPort, ref bool existed)
    {
        if (stack.StateOf(key) is { } state)
        {
            existed = true;
            return MarbleParser.Letter(state);
        }
        if (existed) return stack.ConnectionCount == 0 ? '|' : 'C';
        return stack.IsListening(localPort) ? 'L' : 'C';
    }

    private static SentSegment Describe(long time, byte[] packet, MarbleScenario sc)
    {
        var reason = PacketParser.Parse(packet, out var p);
        if (reason != DropReason.None) return new SentSegment(time, default, $"an invalid packet ({reason}, {packet.Length} bytes)");
        if (p.Kind != PacketKind.Tcp) return new SentSegment(time, default, $"a non-TCP packet: {p}");
        string? problem = null;
        if (p.Ip.Source != sc.LocalAddress || p.Ip.Destination != sc.RemoteAddress
            || p.Tcp.SourcePort != sc.LocalPort || p.Tcp.DestinationPort != sc.RemotePort)
            problem = $"sent {p.Ip.Source}:{p.Tcp.SourcePort} > {p.Ip.Destination}:{p.Tcp.DestinationPort}, not on the scenario's connection";
        return new SentSegment(time, p.Tcp, problem);
    }

    /// <summary>Plays the application's part.</summary>
    private sealed class AppDriver(MarbleScenario sc, TcpStack stack, TestScheduler scheduler, MarbleRun run)
    {
        private readonly MemoryStream _received = new();
        private IDisposable? _listener;
        private IDisposable? _connect;
        private IDisposable? _reader;
        private TcpConnection? _connection;
        private Exception? _connectError;
        private Exception? _readerError;
        private readonly List<Exception> _sendErrors = new();

        public void Do(char symbol, LaneEvent at)
        {
            var action = sc.Actions.TryGetValue(symbol, out var a) ? a : new AppAction(symbol switch
            {
                'L' => AppActionKind.Listen,
                'l' => AppActionKind.StopListening,
                'C' => AppActionKind.Connect,
                'c' => AppActionKind.Close,
                'x' => AppActionKind.Abort,
                'r' => AppActionKind.Read,
                _ => AppActionKind.Pause,
            });
            string where = $"app '{symbol}' at {MarbleParser.FormatDuration(at.Time)} (line {at.Line})";
            switch (action.Kind)
            {
                case AppActionKind.Listen:
                    if (_listener is not null) { run.Problems.Add($"{where}: already listening"); return; }
                    _listener = stack.Listen(sc.LocalPort).Subscribe(OnConnection, e => run.Problems.Add($"{where}: Listen failed: {e.Message}"));
                    break;
                case AppActionKind.StopListening:
                    _listener?.Dispose();
                    _listener = null;
                    break;
                case AppActionKind.Connect:
                    if (_connect is not null) { run.Problems.Add($"{where}: already connecting"); return; }
                    _connect = stack.Connect(sc.RemoteAddress, sc.RemotePort).Subscribe(OnConnection, e => _connectError = e);
                    break;
                case AppActionKind.Close:
                    if (Require(where) is { } toClose) toClose.Close();
                    break;
                case AppActionKind.Abort:
                    if (_connection is not null) _connection.Abort();
                    else if (_connect is not null) _connect.Dispose();
                    else run.Problems.Add($"{where}: nothing to abort");
                    break;
                case AppActionKind.Read:
                    if (Require(where) is null) return;
                    if (_reader is not null) { run.Problems.Add($"{where}: the reader is already subscribed"); return; }
                    Subscribe();
                    break;
                case AppActionKind.Pause:
                    if (_reader is null) { run.Problems.Add($"{where}: no reader to unsubscribe"); return; }
                    _reader.Dispose();
                    _reader = null;
                    break;
                case AppActionKind.Send:
                    Require(where)?.Send(action.Data!).Subscribe(_ => { }, e => _sendErrors.Add(e));
                    break;
            }
        }

        private TcpConnection? Require(string where)
        {
            if (_connection is null) run.Problems.Add($"{where}: the application has no connection yet");
            return _connection;
        }

        private void OnConnection(TcpConnection connection)
        {
            if (_connection is not null)
            {
                run.Problems.Add($"a second connection reached the application at {MarbleParser.FormatDuration(scheduler.Clock)}: {connection}");
                return;
            }
            _connection = connection;
            if (sc.AutoReader) Subscribe();
        }

        private void Subscribe() =>
            _reader = _connection!.Received.Subscribe(m => _received.Write(m.Span), e => _readerError = e, () => run.Eof = true);

        public void Finish()
        {
            run.Received = _received.ToArray();
            if (_connectError is TcpException ce) { run.Error = ce.Error; run.ErrorSource = "Connect"; }
            else if (_connectError is not null) run.Problems.Add($"Connect failed with {_connectError.GetType().Name}: {_connectError.Message}");
            else if (_connection is { Error: not TcpError.None } c) { run.Error = c.Error; run.ErrorSource = "TcpConnection.Error"; }
            else if (_readerError is TcpException re) { run.Error = re.Error; run.ErrorSource = "Received"; }
            if (_readerError is not null and not TcpException) run.Problems.Add($"Received failed with {_readerError.GetType().Name}: {_readerError.Message}");
            _reader?.Dispose();
            _listener?.Dispose();
        }
    }

    /// <summary>A <see cref="TestScheduler"/> that calls back after every action it runs (to sample the connection's state).</summary>
    private sealed class ProbingScheduler : TestScheduler
    {
        public Action? AfterEach { get; set; }

        public override IDisposable ScheduleAbsolute<TState>(TState state, long dueTime, Func<IScheduler, TState, IDisposable> action) =>
            base.ScheduleAbsolute(state, dueTime, (scheduler, s) =>
            {
                var result = action(scheduler, s);
                AfterEach?.Invoke();
                return result;
            });
    }
}
