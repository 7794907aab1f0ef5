using System.Buffers.Binary;
using System.Reactive.Concurrency;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace RxTcp.Fuzz;

/// <summary>
/// A stack under test with live state for fuzzed frames to hit, built the same way every time
/// (fixed ISNs, seed and virtual clock) so that a crashing input replays exactly: a listener on
/// port 80 with one accepted, ESTABLISHED connection holding unacknowledged data both ways and
/// timestamps/SACK/window scale/ECN negotiated, one outgoing connection stuck in SYN-SENT, a listener
/// with a backlog of 0 (every SYN gets a SYN cookie, from a fixed secret), a small challenge-ACK
/// budget, and a UDP binding. The peer is scripted here; nothing leaves the process.
/// </summary>
public sealed class LiveStack : IDisposable
{
    public static readonly IPv4Address LocalAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address PeerAddress = IPv4Address.Parse("192.0.2.2");
    public const ushort ListenPort = 80, PeerPort = 40000, ActivePeerPort = 81, UdpPort = 53, CookiePort = 8080, CookiePeerPort = 40002;
    public const uint LocalIss = 1_000_000, PeerIss = 5_000_000, ActiveIss = 7_000_000, CookiePeerIss = 9_000_000;
    /// <summary>Challenge ACKs per second: small, so a few records of one input can use the budget up.</summary>
    public const int ChallengeAckBudget = 4;
    public const int LocalUnacked = 3000, PeerSent = 100;

    private readonly List<IDisposable> _subscriptions = new();

    /// <summary>More packets than any input can legitimately cause: past it the input is a packet storm.</summary>
    public const int PacketBudget = 5000;

    private int _sent;
    private uint _lastCookie;

    /// <param name="handshakeRtt">Round trip of the scripted handshake; the fuzz campaigns use 1 ms.</param>
    public LiveStack(TimeSpan? handshakeRtt = null)
    {
        Scheduler = new HistoricalScheduler(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Link = new CapturingLink(Scheduler);
        var tcp = TcpConfig.Default with { IsnGenerator = (key, _) => key.RemotePort == PeerPort ? LocalIss : ActiveIss };
        Stack = new TcpStack(Link, new TcpStackOptions
        {
            Address = LocalAddress, Tcp = tcp, Seed = 1,
            SynCookieSecret = "rxtcp-fuzz-cookie-secret"u8.ToArray(),
            Limits = StackLimits.Default with { ChallengeAcksPerSecond = ChallengeAckBudget },
        }, Scheduler);

        _subscriptions.Add(Stack.Listen(ListenPort).Subscribe(c =>
        {
            Accepted ??= c;
            _subscriptions.Add(c.Received.Subscribe(m => Delivered.AddRange(m.Span), _ => { }, () => { }));
            _subscriptions.Add(c.Send(new byte[LocalUnacked]).Subscribe(_ => { }, _ => { }));
        }));
        _subscriptions.Add(Stack.Listen(CookiePort, backlog: 0).Subscribe(c =>
        {
            _subscriptions.Add(c.Received.Subscribe(_ => { }, _ => { }, () => { }));
            _subscriptions.Add(c.Send(new byte[PeerSent]).Subscribe(_ => { }, _ => { }));
        }));
        _subscriptions.Add(Stack.ReceiveUdp(UdpPort).Subscribe(_ => { }));
        Scheduler.AdvanceBy(TimeSpan.FromTicks(1));

        // ECE|CWR on the SYN asks for ECN (RFC 3168), so CE marks and ECE/CWR on later segments mean something.
        var syn = PeerSegment(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, PeerIss, 0);
        syn.Options = new TcpOptions { Mss = 1460, HasWindowScale = true, WindowScale = 7, SackPermitted = true, HasTimestamps = true, TsVal = 100 };
        Link.Inject(PacketBuilder.BuildTcp(PeerAddress, LocalAddress, syn));
        uint synAckTsVal = LastSentTsVal();
        // A round trip of 1 ms, not 0: a zero-time handshake gives SRTT = 1 tick, which sets off the
        // SACK-recovery storm (fixed) is guarded by Hostile/FixedBugRegressions.cs; this harness hunts the rest.
        Scheduler.AdvanceBy(handshakeRtt ?? TimeSpan.FromMilliseconds(1));

        var ack = PeerSegment(TcpFlags.Ack, PeerIss + 1, LocalIss + 1);
        ack.Options = new TcpOptions { HasTimestamps = true, TsVal = 101, TsEcr = synAckTsVal };
        Link.Inject(PacketBuilder.BuildTcp(PeerAddress, LocalAddress, ack));
        Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1));

        var data = PeerSegment(TcpFlags.Ack | TcpFlags.Psh, PeerIss + 1, LocalIss + 1);
        data.Options = new TcpOptions { HasTimestamps = true, TsVal = 102, TsEcr = synAckTsVal };
        data.Payload = new byte[PeerSent];
        Link.Inject(PacketBuilder.BuildTcp(PeerAddress, LocalAddress, data));

        _subscriptions.Add(Stack.Connect(PeerAddress, ActivePeerPort).Subscribe(_ => { }, _ => { }));
        Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1));
        foreach (var (_, packet) in Link.SentPackets)
            if (PacketParser.Parse(packet, out var p) == DropReason.None && p.Kind == PacketKind.Tcp && p.Tcp.DestinationPort == ActivePeerPort)
                ActiveLocalPort = p.Tcp.SourcePort;
        Link.ClearSent();
        _subscriptions.Add(Link.Sent.Subscribe(packet =>
        {
            NoteCookie(packet.Span);
            // Stopping the stack ends a storm that would otherwise fill memory in virtual time.
            if (++_sent == PacketBudget) Scheduler.Schedule(Stack.Dispose);
        }));
    }

    public HistoricalScheduler Scheduler { get; }
    public CapturingLink Link { get; }
    public TcpStack Stack { get; }
    public TcpConnection? Accepted { get; private set; }
    public List<byte> Delivered { get; } = new();
    public ushort ActiveLocalPort { get; }

    /// <summary>What relative frames are rebased on: the next byte the peer would send and the first byte the stack has outstanding.</summary>
    public FrameFixer.Target TargetFor(byte flags) =>
        (flags & FrameFixer.ToCookieListener) != 0 ? new(PeerAddress, LocalAddress, CookiePeerPort, CookiePort, CookiePeerIss, _lastCookie + 1)
        : (flags & FrameFixer.ToActiveOpen) != 0 ? new(PeerAddress, LocalAddress, ActivePeerPort, ActiveLocalPort, 0, ActiveIss + 1)
        : new(PeerAddress, LocalAddress, PeerPort, ListenPort, PeerIss + 1 + PeerSent, LocalIss + 1);

    /// <summary>Remembers the ISN of the last SYN-ACK sent from the cookie listener (its SYN cookie).</summary>
    private void NoteCookie(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 40 || packet[9] != 6) return;
        var tcp = packet[((packet[0] & 0xF) * 4)..];
        if (tcp.Length >= 14 && BinaryPrimitives.ReadUInt16BigEndian(tcp) == CookiePort && (tcp[13] & 0x12) == 0x12)
            _lastCookie = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
    }

    /// <summary>Feeds one stack-target input, lets every timer it armed run, then checks the stack is healthy.</summary>
    public void Feed(byte[] input)
    {
        foreach (var (flags, record) in FrameFixer.Records(input))
        {
            foreach (var frame in FrameFixer.Frames(flags, record, TargetFor(flags))) Link.Inject(frame);
            Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10));
        }
        // Long enough for retransmissions, persist probes, keep-alives and TIME-WAIT to play out.
        for (int i = 0; i < 30; i++) Scheduler.AdvanceBy(TimeSpan.FromSeconds(10));
        AssertHealthy();
    }

    /// <summary>Throws (a crash, for AFL) if the pipeline faulted or the stack stopped answering.</summary>
    public void AssertHealthy()
    {
        if (_sent >= PacketBudget) throw new InvalidOperationException($"packet storm: the stack sent {_sent} packets for one input");
        if (Stack.PipelineError is { } error) throw new InvalidOperationException("pipeline failed", error);
        if (Stack.Counters.PipelineFaults != 0) throw new InvalidOperationException($"{Stack.Counters.PipelineFaults} pipeline fault(s)");
        long replies = Stack.Counters.EchoReplies;
        Link.Inject(PacketBuilder.BuildIcmpEchoRequest(PeerAddress, LocalAddress, 7, 7, "alive"u8));
        Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1));
        if (Stack.Counters.EchoReplies != replies + 1) throw new InvalidOperationException("stack no longer answers a ping");
    }

    public void Dispose()
    {
        foreach (var s in _subscriptions) s.Dispose();
        Stack.Dispose();
        Link.Dispose();
    }

    private static TcpSegment PeerSegment(TcpFlags flags, uint seq, uint ack) => new()
    {
        SourcePort = PeerPort,
        DestinationPort = ListenPort,
        Seq = new SeqNum(seq),
        Ack = new SeqNum(ack),
        Flags = flags,
        Window = 65535,
    };

    private uint LastSentTsVal()
    {
        var sent = Link.SentPackets;
        for (int i = sent.Count - 1; i >= 0; i--)
            if (PacketParser.Parse(sent[i].Packet, out var p) == DropReason.None && p.Kind == PacketKind.Tcp)
                return p.Tcp.Options.TsVal;
        return 0;
    }
}
