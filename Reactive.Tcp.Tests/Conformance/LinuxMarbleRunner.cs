using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Marbles;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>What the Linux kernel did in a scenario, in the scenario's numbering.</summary>
internal sealed class LinuxRun
{
    /// <summary>Every packet the kernel sent on the TUN device (real time since the start, in ticks), normalised.</summary>
    public List<SentSegment> Sent { get; } = new();
    public byte[] Received { get; set; } = [];
    public bool Eof { get; set; }
    public TcpError Error { get; set; }
    public string ErrorSource { get; set; } = "";
    /// <summary>Problems with the run itself (an app action that could not be done, a setup failure).</summary>
    public List<string> Problems { get; } = new();
    /// <summary>The kernel's ISN(s) learned from its SYNs, for the report.</summary>
    public List<uint> KernelIsns { get; } = new();
    public KernelProfile Profile { get; set; } = null!;
    /// <summary>How late (ticks) the runner was, at worst, in playing a scripted event, beyond what sliding the timeline absorbed.</summary>
    public long WorstLateness { get; set; }
    /// <summary>How far (ticks) the timeline slid in all: the runner's own delays and waits for the kernel's replies.</summary>
    public long Slid { get; set; }
    /// <summary>Runs it took to play the scenario on time (a late run is played again).</summary>
    public int Attempts { get; set; } = 1;
    /// <summary>
    /// The kernel's TCP sockets in the namespace at the end of the run (<c>ss -tanH</c> lines), read
    /// before the application's sockets are closed; empty unless <see cref="LinuxRunSettings.ReadSockets"/>.
    /// </summary>
    public List<string> KernelSockets { get; } = new();
}

/// <summary>How <see cref="LinuxMarbleRunner"/> runs a scenario beyond what the scenario says.</summary>
internal sealed record LinuxRunSettings
{
    /// <summary>The default: namespaces named <c>rxt-…</c>, no socket table read.</summary>
    public static readonly LinuxRunSettings Default = new();

    /// <summary>Prefix of the namespace each run creates (<c>PREFIX-xxxxxxxx</c>).</summary>
    public string NamespacePrefix { get; init; } = "rxt";

    /// <summary>Read the kernel's socket table (<c>ss -tanH</c>) into <see cref="LinuxRun.KernelSockets"/> at the end.</summary>
    public bool ReadSockets { get; init; }
}

/// <summary>
/// Plays a marble scenario against the Linux kernel, as packetdrill does: a fresh network
/// namespace, a TUN device in it configured so the kernel owns the scenario's <c>local:</c> address
/// and routes the <c>remote:</c> address to the device. The <c>in:</c> lane is written to the
/// device at its real times; the <c>app:</c> lane becomes socket calls made on sockets created
/// inside the namespace; whatever the kernel writes back is recorded.
/// </summary>
/// <remarks>
/// Numbering is relative: every SYN the kernel sends teaches the runner its ISN, and from then on
/// kernel sequence numbers are shown shifted into the scenario's numbering (scenario ISN = the
/// sequence number of the out lane's first SYN, else <c>isn=</c>, default 1000) and the ACK numbers (and SACK blocks) of injected segments are shifted
/// into the kernel's. Timestamps likewise: the kernel's TSval in its SYN is lined up with the TSval
/// of the first SYN of the <c>out:</c> lane (or 0), and injected TSecr values are shifted by the same amount.
/// </remarks>
internal static class LinuxMarbleRunner
{
    /// <summary>How long past the scenario's end the kernel's segments are still collected (so a late reply can be named as such).</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(300);

    /// <summary>A run whose scripted events were played later than this is played again (it would test the runner, not the kernel).</summary>
    public static readonly long MaxLateness = 2 * TimeSpan.TicksPerMillisecond;

    /// <summary>
    /// How far the timeline may slide in one run before the run is played again. The timeline slides
    /// when the runner is late, and while it waits for the kernel's first SYN or SYN-ACK (the ISN the
    /// next injected segment must acknowledge) when the out lane says it comes first. Kept well under
    /// <see cref="LinuxReport.MinTolerance"/>.
    /// </summary>
    public static readonly long SlideBudget = 15 * TimeSpan.TicksPerMillisecond;

    /// <summary>Longest wait for the kernel's first SYN before injecting a segment the out lane puts after it.</summary>
    public static readonly long SynWait = 50 * TimeSpan.TicksPerMillisecond;

    /// <summary>How a run that could not keep real time is reported (the start of its problem line).</summary>
    public const string TooBusy = "the runner could not keep real time";

    /// <summary>Plays the scenario; a run that fell behind real time is repeated (up to three runs in all).</summary>
    public static LinuxRun Run(MarbleScenario sc, LinuxRunSettings? settings = null)
    {
        settings ??= LinuxRunSettings.Default;
        // Long scenarios are not worth replaying.
        int tries = sc.EndTime > 30 * TimeSpan.TicksPerSecond ? 1 : 3;
        for (int attempt = 1; ; attempt++)
        {
            var run = RunOnce(sc, settings);
            run.Attempts = attempt;
            bool onTime = run.WorstLateness <= Math.Max(MaxLateness, sc.Frame / 2) && run.Slid <= SlideBudget;
            if (onTime || attempt == tries)
            {
                if (!onTime)
                    run.Problems.Add($"{TooBusy} (late by {Ms(run.WorstLateness)} ms, timeline slid {Ms(run.Slid)} ms; {(tries == 1 ? "1 try" : $"{tries} tries")}): the machine is too busy for this comparison");
                return run;
            }
        }
    }

    private static LinuxRun RunOnce(MarbleScenario sc, LinuxRunSettings settings)
    {
        var profile = KernelProfile.For(sc);
        if (profile.NotApplicable is { } na) throw new InvalidOperationException($"Scenario {sc.Name} is n/a for Linux: {na}");
        var run = new LinuxRun { Profile = profile };
        using var ns = NetworkNamespace.Create(settings.NamespacePrefix);
        foreach (var (key, value) in profile.Sysctls)
        {
            var set = ns.Run("sysctl", "-qw", $"{key}={value}");
            if (!set.Succeeded) run.Problems.Add($"sysctl {key}={value} failed: {set.StandardError.Trim()}");
        }
        using var tun = ns.OpenTun(new TunLinkOptions
        {
            Name = "rxt0",
            Mtu = profile.Mtu,
            KernelAddress = sc.LocalAddress,
            StackAddress = sc.RemoteAddress,
        });
        ns.Run(["ip", "route", "replace", sc.RemoteAddress.ToString(), "dev", tun.Name, "src", sc.LocalAddress.ToString(), .. profile.RouteAttributes]).EnsureSuccess();

        var numbering = new Numbering(sc);
        var clock = new ElasticClock();
        var recorded = new List<(long Time, byte[] Packet)>();
        using var capture = tun.Inbound.Subscribe(frame =>
        {
            long t = clock.Now;
            var copy = frame.ToArray();
            lock (recorded) recorded.Add((t, copy));
            numbering.Learn(copy);
        });

        using var app = new KernelApp(sc, ns, profile, run);
        app.Prepare();
        // Compile the code paths of the run before the clock starts: late packets would test the JIT, not the kernel.
        foreach (var def in sc.Segments.Values.Where(d => d.Seq is not null && d.Length is not null && ((d.Flags & TcpFlags.Ack) == 0 || d.Ack is not null)))
        {
            var probe = PacketBuilder.BuildTcp(sc.RemoteAddress, sc.LocalAddress, numbering.Outbound(def.Build(sc.RemotePort, sc.LocalPort)));
            _ = PacketParser.Parse(probe, out _);
        }
        WarmUp(ns);

        // One timeline: app actions at their frame's start, then the peer's segments.
        var timeline = sc.App.Events.Select(e => (e.Time, Order: 0, Event: e))
            .Concat(sc.In.Events.Select(e => (e.Time, Order: 1, Event: e)))
            .OrderBy(x => x.Time).ThenBy(x => x.Order).ToList();
        long end = sc.EndTime;
        long firstSyn = sc.Out.Events.Where(e => e.Symbols.Any(c => (sc.Segments[c].Flags & TcpFlags.Syn) != 0)).Select(e => e.Time).DefaultIfEmpty(long.MaxValue).First();
        clock.Start();
        foreach (var (time, order, ev) in timeline)
        {
            clock.WaitUntil(time);
            long late = clock.Now - time;
            if (late > sc.Frame / 2) clock.Slide(late);
            if (order == 0 && ev.Symbols.Any(app.WantsConnection) && !app.HasConnection)
            {
                // The kernel may have completed the handshake while accept()/connect() has not returned yet.
                clock.Freeze();
                long waitStart = clock.Real;
                while (!app.HasConnection && clock.Real - waitStart < SynWait) Thread.SpinWait(50);
                clock.Thaw();
            }
            if (order == 1 && firstSyn < time && numbering.Syns == 0)
            {
                // The kernel's SYN has not been read off the device yet: this segment would acknowledge the wrong ISN.
                clock.Freeze();
                long waitStart = clock.Real;
                while (numbering.Syns == 0 && clock.Real - waitStart < SynWait) Thread.SpinWait(50);
                clock.Thaw();
            }
            foreach (char c in ev.Symbols)
            {
                if (order == 0) app.Do(c, ev);
                else tun.Send(PacketBuilder.BuildTcp(sc.RemoteAddress, sc.LocalAddress, numbering.Outbound(sc.Segments[c].Build(sc.RemotePort, sc.LocalPort))));
            }
            // An event is on time when it is done before the next frame would be noticeably late.
            run.WorstLateness = Math.Max(run.WorstLateness, clock.Now - time);
        }
        run.Slid = clock.Shift;
        clock.WaitUntil(end + Linger.Ticks);
        if (settings.ReadSockets)
        {
            var ss = ns.Run("ss", "-tanH");
            if (ss.Succeeded) run.KernelSockets.AddRange(ss.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            else run.Problems.Add($"ss -tanH failed: {ss.StandardError.Trim()}");
        }
        app.Finish();
        capture.Dispose();

        lock (recorded)
        {
            foreach (var (t, packet) in recorded)
                run.Sent.Add(Describe(t, packet, sc, numbering));
        }
        run.KernelIsns.AddRange(numbering.Isns);
        return run;
    }

    /// <summary>One loopback connection inside the namespace, through the socket calls the app lane uses.</summary>
    private static void WarmUp(NetworkNamespace ns)
    {
        ns.Invoke(() =>
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.SetRawSocketOption(6, 7, BitConverter.GetBytes(2));
            var accept = listener.AcceptAsync();
            client.ConnectAsync(listener.LocalEndPoint!).Wait(TimeSpan.FromSeconds(5));
            using var server = accept.Result;
            client.Send("warm"u8);
            var buffer = new byte[16];
            if (server.Poll(1_000_000, SelectMode.SelectRead)) _ = server.Receive(buffer, 0, buffer.Length, SocketFlags.None, out _);
            client.Shutdown(SocketShutdown.Send);
            _ = server.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error);
            server.LingerState = new LingerOption(true, 0);
        });
    }

    private static string Ms(long ticks) => (ticks / (double)TimeSpan.TicksPerMillisecond).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The scenario's time: real time since the start minus how far the timeline has slid; it stands
    /// still while frozen. (After a slide for lateness, captures just before and just after it may
    /// carry times out of order by up to the slide: the report keeps the kernel's own order.)
    /// </summary>
    private sealed class ElasticClock
    {
        private readonly object _gate = new();
        private readonly Stopwatch _watch = new();
        private long _shift;
        private long? _frozenAt, _frozenReal;

        public long Shift
        {
            get { lock (_gate) return _shift; }
        }

        public long Real => _watch.Elapsed.Ticks;

        public long Now
        {
            get
            {
                lock (_gate)
                {
                    if (_frozenAt is { } f) return f;
                    return _watch.Elapsed.Ticks - _shift;
                }
            }
        }

        public void Start() => _watch.Start();

        public void Slide(long ticks)
        {
            lock (_gate) _shift += ticks;
        }

        public void Freeze()
        {
            lock (_gate)
            {
                _frozenAt = _watch.Elapsed.Ticks - _shift;
                _frozenReal = _watch.Elapsed.Ticks;
            }
        }

        public void Thaw()
        {
            lock (_gate)
            {
                _shift += _watch.Elapsed.Ticks - _frozenReal!.Value;
                _frozenAt = _frozenReal = null;
            }
        }

        public void WaitUntil(long ticks)
        {
            while (true)
            {
                long left = ticks - Now;
                if (left <= 0) return;
                if (left > 3 * TimeSpan.TicksPerMillisecond) Thread.Sleep(TimeSpan.FromTicks(left - 2 * TimeSpan.TicksPerMillisecond));
                else Thread.SpinWait(50);
            }
        }
    }

    private static SentSegment Describe(long time, byte[] packet, MarbleScenario sc, Numbering numbering)
    {
        var reason = PacketParser.Parse(packet, out var p);
        if (reason != DropReason.None) return new SentSegment(time, default, $"an invalid packet ({reason}, {packet.Length} bytes)");
        if (p.Kind != PacketKind.Tcp) return new SentSegment(time, default, $"a non-TCP packet: {p}");
        string? problem = null;
        if (p.Ip.Source != sc.LocalAddress || p.Ip.Destination != sc.RemoteAddress
            || p.Tcp.SourcePort != sc.LocalPort || p.Tcp.DestinationPort != sc.RemotePort)
            problem = $"sent {p.Ip.Source}:{p.Tcp.SourcePort} > {p.Ip.Destination}:{p.Tcp.DestinationPort}, not on the scenario's connection";
        return new SentSegment(time, numbering.Inbound(p.Tcp, time), problem);
    }

    /// <summary>The shift between the kernel's numbering and the scenario's (sequence numbers and timestamps).</summary>
    private sealed class Numbering(MarbleScenario sc)
    {
        private readonly object _gate = new();
        private readonly uint _scenarioTsVal = sc.Out.Events.SelectMany(e => e.Symbols).Select(s => sc.Segments[s])
            .FirstOrDefault(d => (d.Flags & TcpFlags.Syn) != 0 && d.Options is { HasTimestamps: true })?.Options?.TsVal ?? 0;
        // The kernel's ISN is lined up with the out lane's first SYN (or with isn= when it has none):
        // a SYN-cookie scenario pins RxTcp's cookie as that SYN-ACK's sequence number, and the
        // kernel's own cookie is then shown, and acknowledged, in its place.
        private readonly uint _scenarioIsn = sc.Out.Events.SelectMany(e => e.Symbols).Select(s => sc.Segments[s])
            .FirstOrDefault(d => (d.Flags & TcpFlags.Syn) != 0 && d.Seq is not null)?.Seq ?? sc.Isn;
        private uint _seqDelta;
        private uint? _tsDelta;
        private readonly List<(long Time, uint Delta)> _history = new();

        public List<uint> Isns { get; } = new();

        /// <summary>SYNs the kernel has sent so far.</summary>
        public int Syns
        {
            get { lock (_gate) return _syns; }
        }

        private int _syns;

        /// <summary>Looks at a packet the kernel sent: a SYN tells its ISN (and its timestamp clock).</summary>
        public void Learn(byte[] packet)
        {
            if (PacketParser.Parse(packet, out var p) != DropReason.None || p.Kind != PacketKind.Tcp) return;
            if ((p.Tcp.Flags & TcpFlags.Syn) == 0) return;
            lock (_gate)
            {
                uint delta = unchecked(p.Tcp.Seq.Value - _scenarioIsn);
                _syns++;
                if (!Isns.Contains(p.Tcp.Seq.Value)) Isns.Add(p.Tcp.Seq.Value);
                _seqDelta = delta;
                if (p.Tcp.Options.HasTimestamps && _tsDelta is null) _tsDelta = unchecked(p.Tcp.Options.TsVal - _scenarioTsVal);
            }
        }

        /// <summary>A segment the scripted peer sends, moved into the kernel's numbering.</summary>
        public TcpSegment Outbound(TcpSegment s)
        {
            lock (_gate)
            {
                if ((s.Flags & TcpFlags.Ack) != 0) s.Ack = new SeqNum(unchecked(s.Ack.Value + _seqDelta));
                for (int i = 0; i < s.Options.SackCount; i++)
                    s.Options.Sack[i] = new SackBlock(new SeqNum(unchecked(s.Options.Sack[i].Left.Value + _seqDelta)), new SeqNum(unchecked(s.Options.Sack[i].Right.Value + _seqDelta)));
                if (s.Options.HasTimestamps && s.Options.TsEcr != 0 && _tsDelta is { } ts) s.Options.TsEcr = unchecked(s.Options.TsEcr + ts);
                return s;
            }
        }

        /// <summary>A segment the kernel sent, moved into the scenario's numbering (its own sequence numbers and TSval).</summary>
        public TcpSegment Inbound(TcpSegment s, long time)
        {
            // Learn() already ran for every packet in arrival order, but Describe runs afterwards: replay the deltas.
            lock (_gate)
            {
                uint delta = DeltaAt(s, time);
                // A RST that acknowledges a segment without ACK has sequence number zero (RFC 9293
                // §3.10.7.1): that zero is not in the kernel's numbering.
                bool resetWithoutSequence = (s.Flags & (TcpFlags.Rst | TcpFlags.Ack)) == (TcpFlags.Rst | TcpFlags.Ack) && s.Seq.Value == 0;
                if (!resetWithoutSequence) s.Seq = new SeqNum(unchecked(s.Seq.Value - delta));
                if (s.Options.HasTimestamps && _tsDelta is { } ts) s.Options.TsVal = unchecked(s.Options.TsVal - ts);
                return s;
            }
        }

        private uint DeltaAt(in TcpSegment s, long time)
        {
            if ((s.Flags & TcpFlags.Syn) != 0)
            {
                uint d = unchecked(s.Seq.Value - _scenarioIsn);
                _history.Add((time, d));
                return d;
            }
            return _history.Count == 0 ? 0 : _history[^1].Delta;
        }
    }

    /// <summary>
    /// Plays the application's part with kernel sockets created inside the namespace:
    /// L = bind + listen + accept, C = bind + connect, a send = send(), c = shutdown(SHUT_WR),
    /// x = SO_LINGER 0 + close (RST), r/p = start/stop reading, l = close the listener.
    /// </summary>
    private sealed class KernelApp(MarbleScenario sc, NetworkNamespace ns, KernelProfile profile, LinuxRun run) : IDisposable
    {
        private readonly object _gate = new();
        private readonly MemoryStream _received = new();
        private Socket? _listener;
        private Socket? _connecting;
        private Socket? _connection;
        private bool _reading;
        private Thread? _reader;
        private volatile bool _finished;
        private bool _aborted;
        private readonly List<Socket> _all = new();

        /// <summary>Whether the application has its connection (accepted or connected).</summary>
        public bool HasConnection
        {
            get { lock (_gate) return _connection is not null; }
        }

        /// <summary>Whether this app action needs the connection, and one is on its way (a listener is up).</summary>
        public bool WantsConnection(char symbol)
        {
            lock (_gate)
            {
                // An abort while only connecting aborts the connect: nothing to wait for.
                if (_listening) return sc.Actions.ContainsKey(symbol) || symbol is 'c' or 'x' or 'r' or 'p';
                if (_connectStarted) return sc.Actions.ContainsKey(symbol) || symbol is 'c' or 'r' or 'p';
                return false;
            }
        }

        private bool _listening, _connectStarted;

        private bool Uses(char action) => sc.App.Events.Any(e => e.Symbols.Contains(action) && !sc.Actions.ContainsKey(action));

        /// <summary>Creates (inside the namespace) and configures the sockets the app lane needs, before the clock starts.</summary>
        public void Prepare()
        {
            if (Uses('L')) _listener = ns.Invoke(NewSocket);
            if (Uses('C'))
            {
                _connecting = ns.Invoke(NewSocket);
                _connecting.SetRawSocketOption(IPPROTO_TCP, TCP_SYNCNT, BitConverter.GetBytes(profile.SynCount));
                _connecting.Bind(new IPEndPoint(IPAddress.Parse(sc.LocalAddress.ToString()), sc.LocalPort));
            }
        }

        private Socket NewSocket()
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            lock (_gate) _all.Add(s);
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (profile.MaxSeg is { } mss) s.SetRawSocketOption(IPPROTO_TCP, TCP_MAXSEG, BitConverter.GetBytes(mss));
            if (profile.ReceiveBuffer is { } rcv) s.ReceiveBufferSize = rcv;
            if (profile.SendBuffer is { } snd) s.SendBufferSize = snd;
            s.NoDelay = profile.NoDelay;
            if (profile.KeepAlive is { } ka)
            {
                s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                s.SetRawSocketOption(IPPROTO_TCP, TCP_KEEPIDLE, BitConverter.GetBytes(ka.Idle));
                s.SetRawSocketOption(IPPROTO_TCP, TCP_KEEPINTVL, BitConverter.GetBytes(ka.Interval));
                s.SetRawSocketOption(IPPROTO_TCP, TCP_KEEPCNT, BitConverter.GetBytes(ka.Count));
            }
            s.SendTimeout = 2000;
            // CUBIC like RxTcp. A namespace may only default to the "allowed" algorithms, so pin it
            // per socket (root may pick any available one; accepted sockets inherit the listener's).
            try
            {
                s.SetRawSocketOption(IPPROTO_TCP, TCP_CONGESTION, "cubic\0"u8);
            }
            catch (SocketException)
            {
                // Not available here: the kernel keeps its default; the table says which one ran.
            }
            return s;
        }

        public void Do(char symbol, LaneEvent at)
        {
            string where = $"app '{symbol}' at {MarbleParser.FormatDuration(at.Time)} (line {at.Line})";
            try
            {
                if (sc.Actions.TryGetValue(symbol, out var act))
                {
                    if (Require(where) is { } c) c.Send(act.Data!);
                    return;
                }
                switch (symbol)
                {
                    case 'L':
                        if (_listener is null) { run.Problems.Add($"{where}: a second listen is not supported on Linux"); return; }
                        _listener.Bind(new IPEndPoint(IPAddress.Parse(sc.LocalAddress.ToString()), sc.LocalPort));
                        _listener.Listen(Math.Min(sc.Limits.ListenBacklog, 16));
                        lock (_gate) _listening = true;
                        _ = AcceptLoop(_listener);
                        break;
                    case 'l':
                        _listener?.Close();
                        break;
                    case 'C':
                        if (_connecting is null) { run.Problems.Add($"{where}: a second connect is not supported on Linux"); return; }
                        lock (_gate) _connectStarted = true;
                        _ = Connect(_connecting);
                        break;
                    case 'c':
                        Require(where)?.Shutdown(SocketShutdown.Send);
                        break;
                    case 'x':
                        Socket? victim;
                        lock (_gate) victim = _connection;
                        if (victim is not null)
                        {
                            victim.LingerState = new LingerOption(true, 0);
                            victim.Close();
                            _aborted = true;
                        }
                        else if (_connecting is not null) _connecting.Close();
                        else run.Problems.Add($"{where}: nothing to abort");
                        break;
                    case 'r':
                        if (Require(where) is null) return;
                        StartReading();
                        break;
                    case 'p':
                        lock (_gate) _reading = false;
                        break;
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                run.Problems.Add($"{where}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        private Socket? Require(string where)
        {
            lock (_gate)
            {
                if (_connection is null) run.Problems.Add($"{where}: the application has no connection yet");
                return _connection;
            }
        }

        private async Task AcceptLoop(Socket listener)
        {
            while (!_finished)
            {
                Socket accepted;
                try
                {
                    accepted = await listener.AcceptAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }
                lock (_gate)
                {
                    _all.Add(accepted);
                    if (_connection is not null)
                    {
                        run.Problems.Add($"a second connection reached the application: {accepted.RemoteEndPoint}");
                        continue;
                    }
                    _connection = accepted;
                }
                if (sc.AutoReader) StartReading();
            }
        }

        private async Task Connect(Socket socket)
        {
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(sc.RemoteAddress.ToString()), sc.RemotePort)).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                lock (_gate)
                {
                    if (_finished || ex.SocketErrorCode == SocketError.OperationAborted) return;
                    run.ErrorSource = "connect";
                    run.Error = Map(ex.SocketErrorCode, out var unknown);
                    if (unknown) run.Problems.Add($"connect failed: {ex.SocketErrorCode}");
                }
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            lock (_gate) _connection = socket;
            if (sc.AutoReader) StartReading();
        }

        private void StartReading()
        {
            lock (_gate)
            {
                if (_reading) return;
                _reading = true;
                if (_reader is { IsAlive: true }) return; // the loop sees _reading again
                var socket = _connection!;
                _reader = new Thread(() => ReadLoop(socket)) { IsBackground = true, Name = "conformance reader" };
                _reader.Start();
            }
        }

        private void ReadLoop(Socket socket)
        {
            var buffer = new byte[65536];
            while (!_finished)
            {
                lock (_gate)
                {
                    if (!_reading) break;
                }
                try
                {
                    if (!socket.Poll(1000, SelectMode.SelectRead)) continue;
                    lock (_gate)
                    {
                        if (!_reading) break;
                    }
                    int n = socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var error);
                    if (error != SocketError.Success)
                    {
                        if (error is SocketError.WouldBlock or SocketError.Interrupted) continue;
                        Fail(error, "recv");
                        return;
                    }
                    if (n == 0)
                    {
                        lock (_gate) run.Eof = true;
                        return;
                    }
                    lock (_gate) _received.Write(buffer, 0, n);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException ex)
                {
                    Fail(ex.SocketErrorCode, "recv");
                    return;
                }
            }
            lock (_gate)
            {
                if (_reader == Thread.CurrentThread && _reading && !_finished)
                {
                    // Resumed while stopping: keep going on a fresh loop.
                    _reader = new Thread(() => ReadLoop(socket)) { IsBackground = true, Name = "conformance reader" };
                    _reader.Start();
                }
            }
        }

        private void Fail(SocketError error, string source)
        {
            lock (_gate)
            {
                if (_finished || _aborted || run.Error != TcpError.None) return;
                run.Error = Map(error, out var unknown);
                run.ErrorSource = source;
                if (unknown) run.Problems.Add($"{source} failed: {error}");
            }
        }

        private static TcpError Map(SocketError error, out bool unknown)
        {
            unknown = false;
            switch (error)
            {
                case SocketError.ConnectionRefused: return TcpError.Refused;
                case SocketError.ConnectionReset: return TcpError.Reset;
                case SocketError.TimedOut: return TcpError.TimedOut;
                case SocketError.ConnectionAborted: return TcpError.Aborted;
                // EPIPE: Linux's SO_ERROR after a RST in CLOSE-WAIT (tcp_reset), once the reader had the FIN.
                case SocketError.Shutdown: return TcpError.Reset;
                default:
                    unknown = true;
                    return TcpError.Aborted;
            }
        }

        /// <summary>Collects the application's outcome: bytes read, end of stream, error (SO_ERROR when nobody was reading).</summary>
        public void Finish()
        {
            Socket? connection;
            lock (_gate)
            {
                connection = _aborted ? null : _connection;
            }
            if (connection is not null && run.Error == TcpError.None)
            {
                try
                {
                    int soError = (int)connection.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                    // .NET hands SO_ERROR over already translated into a SocketError.
                    if (soError != 0) Fail((SocketError)soError, "SO_ERROR");
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                }
            }
            lock (_gate)
            {
                _finished = true;
                if (_aborted && run.Error == TcpError.None)
                {
                    run.Error = TcpError.Aborted;
                    run.ErrorSource = "the application's own abort";
                }
                run.Received = _received.ToArray();
            }
            _reader?.Join(TimeSpan.FromSeconds(2));
        }

        public void Dispose()
        {
            _finished = true;
            Socket[] all;
            lock (_gate) all = _all.ToArray();
            foreach (var s in all) s.Dispose();
        }

        private const int IPPROTO_TCP = 6;
        private const int TCP_MAXSEG = 2;
        private const int TCP_KEEPIDLE = 4;
        private const int TCP_KEEPINTVL = 5;
        private const int TCP_KEEPCNT = 6;
        private const int TCP_SYNCNT = 7;
        private const int TCP_CONGESTION = 13;
    }
}
