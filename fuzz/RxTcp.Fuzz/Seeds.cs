using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Security.Cryptography;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace RxTcp.Fuzz;

/// <summary>
/// Writes the seed corpus: packets captured from a real two-stack exchange (handshake with every
/// option, data, SACKed loss recovery, FIN, RST, ICMP echo, UDP), their option bytes, and
/// stack-target inputs that aim well-formed segments at the live connections of <see cref="LiveStack"/>.
/// </summary>
public static class Seeds
{
    public static void Write(string folder)
    {
        var captured = Capture();
        var parse = Directory.CreateDirectory(Path.Combine(folder, "parse")).FullName;
        var options = Directory.CreateDirectory(Path.Combine(folder, "options")).FullName;
        var stack = Directory.CreateDirectory(Path.Combine(folder, "stack")).FullName;

        // One packet per shape is enough for a seed: AFL finds the rest.
        var shapes = new HashSet<string>();
        foreach (var packet in captured)
        {
            if (PacketParser.Parse(packet, out var p) != DropReason.None) continue;
            string shape = p.Kind switch
            {
                PacketKind.Tcp => $"tcp-{TcpSegment.FormatFlags(p.Tcp.Flags).Trim('[', ']').Replace('.', 'A')}-{(p.Tcp.Payload.Length == 0 ? "empty" : p.Tcp.Payload.Length < 1000 ? "small" : "full")}-{(p.Tcp.Options.SackCount > 0 ? "sack" : p.Tcp.Options.Mss != 0 ? "synopts" : "ts")}",
                PacketKind.IcmpEcho => $"icmp-{p.Icmp.Type}",
                _ => "udp",
            };
            if (!shapes.Add(shape)) continue;
            Save(parse, shape, packet);
            Save(stack, "raw-" + shape, FrameFixer.Record(0, packet));
            if (p.Kind == PacketKind.Tcp)
            {
                int headerLength = (packet[20 + 12] >> 4) * 4;
                if (headerLength > 20) Save(options, shape, packet.AsSpan(40, headerLength - 20).ToArray());
            }
        }
        Save(options, "unknown-kinds", [1, 1, 30, 6, 0, 0, 0, 0, 254, 4, 0, 0, 0, 0, 0, 0]);
        Save(options, "eol-then-junk", [2, 4, 5, 180, 0, 9, 9, 9]);

        foreach (var (name, input) in StackInputs()) Save(stack, name, input);
    }

    private static void Save(string folder, string name, byte[] bytes) => File.WriteAllBytes(Path.Combine(folder, name), bytes);

    /// <summary>Every packet both ends of a lossy two-stack exchange sent, in order.</summary>
    private static List<byte[]> Capture()
    {
        var scheduler = new HistoricalScheduler(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var lossy = new Impairments { Loss = 0.05, Seed = 3 };
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = lossy, BToA = lossy with { Seed = 4 } });
        var packets = new List<byte[]>();
        using var serverLink = new Recorder(wire.EndA, packets);
        using var clientLink = new Recorder(wire.EndB, packets);
        var server = LiveStack.LocalAddress;
        var client = LiveStack.PeerAddress;
        using var a = new TcpStack(serverLink, new TcpStackOptions { Address = server, Seed = 1 }, scheduler);
        using var b = new TcpStack(clientLink, new TcpStackOptions { Address = client, Seed = 2 }, scheduler);

        var payload = RandomNumberGenerator.GetBytes(60_000);
        using var listen = a.Listen(80).Subscribe(c =>
        {
            c.Received.Subscribe(_ => { }, _ => { }, () => { });
            c.Send(payload).Subscribe(_ => { }, _ => { }, c.Close);
        });
        using var udp = a.ReceiveUdp(53).Subscribe(_ => { });
        scheduler.AdvanceBy(TimeSpan.FromTicks(1));
        b.Connect(server, 80).Subscribe(c =>
        {
            c.Received.Subscribe(_ => { }, _ => { }, c.Close);
            c.Send(new byte[300]).Subscribe(_ => { }, _ => { });
        }, _ => { });
        // A port nobody listens on: the SYN is answered with a RST.
        b.Connect(server, 9).Subscribe(_ => { }, _ => { });
        b.SendUdp(new Reactive.Tcp.Transport.UdpMessage(server, 5353, 53, new byte[] { 1, 2, 3, 4, 5 }));
        clientLink.Send(PacketBuilder.BuildIcmpEchoRequest(client, server, 1, 1, "ping"u8));
        for (int i = 0; i < 600; i++) scheduler.AdvanceBy(TimeSpan.FromSeconds(1));
        return packets;
    }

    private static IEnumerable<(string, byte[])> StackInputs()
    {
        const byte Aim = FrameFixer.Relative | FrameFixer.FixChecksums;
        const byte AimActive = Aim | FrameFixer.ToActiveOpen;
        byte[] Frame(TcpFlags flags, uint seqOffset, uint ackOffset, int payload = 0, ushort window = 65535, int sack = 0, ushort urgent = 0, IpEcn ecn = IpEcn.NotEct, bool timestamps = true)
        {
            var segment = new TcpSegment
            {
                Seq = new SeqNum(seqOffset),
                Ack = new SeqNum(ackOffset),
                Flags = flags,
                Window = window,
                UrgentPointer = urgent,
                Payload = Enumerable.Range(0, payload).Select(i => (byte)i).ToArray(),
                Options = timestamps ? new TcpOptions { HasTimestamps = true, TsVal = 200, TsEcr = 1 } : new TcpOptions(),
                Ecn = ecn,
            };
            if (sack > 0)
            {
                segment.Options.SackCount = 1;
                segment.Options.Sack[0] = new SackBlock(new SeqNum(LiveStack.LocalIss + 1 + (uint)sack), new SeqNum(LiveStack.LocalIss + 1 + (uint)sack + 1000));
            }
            return PacketBuilder.BuildTcp(LiveStack.PeerAddress, LiveStack.LocalAddress, segment);
        }
        byte[] Records(params (byte Flags, byte[] Frame)[] frames) => frames.SelectMany(f => FrameFixer.Record(f.Flags, f.Frame)).ToArray();
        var A = TcpFlags.Ack;

        yield return ("data-in-order", Records((Aim, Frame(A | TcpFlags.Psh, 0, 0, 500))));
        yield return ("data-out-of-order", Records((Aim, Frame(A, 1460, 0, 500)), (Aim, Frame(A, 0, 0, 1460))));
        yield return ("data-beyond-window", Records((Aim, Frame(A, 10_000_000, 0, 500))));
        yield return ("ack-partial", Records((Aim, Frame(A, 0, 1448))));
        yield return ("dup-acks-sack", Records((Aim, Frame(A, 0, 0, sack: 1448)), (Aim, Frame(A, 0, 0, sack: 1448)), (Aim, Frame(A, 0, 0, sack: 1448)), (Aim, Frame(A, 0, 0))));
        yield return ("ack-all-then-fin", Records((Aim, Frame(A, 0, LiveStack.LocalUnacked)), (Aim, Frame(A | TcpFlags.Fin, 0, LiveStack.LocalUnacked))));
        yield return ("ack-beyond-sndmax", Records((Aim, Frame(A, 0, 100_000))));
        yield return ("window-zero", Records((Aim, Frame(A, 0, 0, window: 0))));
        yield return ("urgent", Records((Aim, Frame(A | TcpFlags.Urg, 0, 0, 10, urgent: 5))));
        yield return ("rst-exact", Records((Aim, Frame(TcpFlags.Rst, 0, 0))));
        yield return ("rst-in-window", Records((Aim, Frame(TcpFlags.Rst, 1000, 0))));
        yield return ("syn-in-established", Records((Aim, Frame(TcpFlags.Syn, 0, 0))));
        yield return ("fin-then-data", Records((Aim, Frame(A | TcpFlags.Fin, 0, 0, 100)), (Aim, Frame(A, 101, 0, 100))));
        yield return ("syn-ack-to-active-open", Records((AimActive, Frame(TcpFlags.Syn | A, 9_000_000, 0))));
        yield return ("rst-to-active-open", Records((AimActive, Frame(TcpFlags.Rst | A, 0, 0))));
        yield return ("syn-to-active-open", Records((AimActive, Frame(TcpFlags.Syn, 9_000_000, 0))));
        var newPeer = new TcpSegment { SourcePort = 40001, DestinationPort = LiveStack.ListenPort, Seq = new SeqNum(42), Flags = TcpFlags.Syn, Window = 1024, Options = new TcpOptions { Mss = 536 } };

        // IPv4 fragments of a 500-byte data segment (532 bytes of IP payload): plans are (offset in 8-byte units, length).
        const byte Frag = Aim | FrameFixer.Fragment;
        var data = Frame(A | TcpFlags.Psh, 0, 0, 500);
        yield return ("frag-in-order", Records((Frag, FrameFixer.Planned(data, (0, 200), (25, 200), (50, 0)))));
        yield return ("frag-reversed", Records((Frag, FrameFixer.Planned(data, (50, 0), (25, 200), (0, 200)))));
        yield return ("frag-overlapping", Records((Frag, FrameFixer.Planned(data, (0, 208), (20, 0), (10, 100)))));
        yield return ("frag-duplicate-last", Records((Frag, FrameFixer.Planned(data, (50, 0), (0, 200), (50, 0), (25, 200)))));
        yield return ("frag-tiny", Records((Frag, FrameFixer.Planned(data, Enumerable.Range(0, 20).Select(i => ((byte)i, (byte)8)).Append(((byte)20, (byte)0)).ToArray()))));
        yield return ("frag-missing-middle", Records((Frag, FrameFixer.Planned(data, (0, 200), (50, 0)))));
        yield return ("frag-two-datagrams-interleaved", Records(
            (Frag, FrameFixer.Planned(data, (0, 200))), (Frag, FrameFixer.Planned(Frame(A, 500, 0, 500), (0, 200))),
            (Frag, FrameFixer.Planned(data, (25, 0))), (Frag, FrameFixer.Planned(Frame(A, 500, 0, 500), (25, 0)))));
        yield return ("frag-ping", Records((FrameFixer.Fragment | FrameFixer.FixChecksums,
            FrameFixer.Planned(PacketBuilder.BuildIcmpEchoRequest(LiveStack.PeerAddress, LiveStack.LocalAddress, 3, 3, new byte[300]), (0, 96), (12, 0)))));

        // ICMP Destination Unreachable quoting a segment the stack sent (seq relative to its first unacknowledged byte).
        const byte Icmp = Aim | FrameFixer.IcmpError;
        byte[] Quote(uint seqOffset) => PacketBuilder.BuildTcp(LiveStack.LocalAddress, LiveStack.PeerAddress, new TcpSegment { Seq = new SeqNum(seqOffset), Flags = A, Window = 1000, Payload = new byte[100] });
        yield return ("icmp-frag-needed-in-window", Records((Icmp, FrameFixer.Icmp(4, 576, Quote(0)))));
        yield return ("icmp-frag-needed-mid-flight", Records((Icmp, FrameFixer.Icmp(4, 1280, Quote(1448)))));
        yield return ("icmp-frag-needed-stale-seq", Records((Icmp, FrameFixer.Icmp(4, 576, Quote(unchecked((uint)-100_000))))));
        yield return ("icmp-frag-needed-tiny-mtu", Records((Icmp, FrameFixer.Icmp(4, 68, Quote(0)))));
        yield return ("icmp-frag-needed-then-ack", Records((Icmp, FrameFixer.Icmp(4, 576, Quote(0))), (Aim, Frame(A, 0, 536))));
        yield return ("icmp-port-unreachable", Records((Icmp, FrameFixer.Icmp(3, 0, Quote(0)))));
        yield return ("icmp-host-unreachable-active-open", Records((Icmp | FrameFixer.ToActiveOpen, FrameFixer.Icmp(1, 0, Quote(unchecked((uint)-1))))));
        yield return ("icmp-frag-needed-fragmented", Records((Icmp | FrameFixer.Fragment, [.. FrameFixer.Planned([], (0, 32), (4, 0)), .. FrameFixer.Icmp(4, 576, Quote(0))])));

        // The listener with a backlog of 0 answers every SYN with a SYN cookie; ack 0 means "the last cookie + 1".
        const byte Cookie = Aim | FrameFixer.ToCookieListener;
        var cookieSyn = new TcpSegment { Flags = TcpFlags.Syn, Window = 8192, Options = new TcpOptions { Mss = 1460, HasWindowScale = true, WindowScale = 5, SackPermitted = true } };
        var cookieSynBytes = PacketBuilder.BuildTcp(LiveStack.PeerAddress, LiveStack.LocalAddress, cookieSyn);
        yield return ("cookie-syn", Records((Cookie, cookieSynBytes)));
        yield return ("cookie-handshake-and-data", Records((Cookie, cookieSynBytes), (Cookie, Frame(A, 1, 0, timestamps: false)), (Cookie, Frame(A | TcpFlags.Psh, 1, 0, 200, timestamps: false)), (Cookie, Frame(A | TcpFlags.Fin, 201, 100, timestamps: false))));
        yield return ("cookie-ack-wrong", Records((Cookie, cookieSynBytes), (Cookie, Frame(A, 1, 5, timestamps: false))));
        yield return ("cookie-ack-without-syn", Records((Cookie, Frame(A, 1, 0, timestamps: false))));
        yield return ("cookie-syn-timestamps", Records((Cookie, Frame(TcpFlags.Syn, 0, 0)), (Cookie, Frame(A, 1, 0))));
        yield return ("cookie-syn-ecn", Records((Cookie, PacketBuilder.BuildTcp(LiveStack.PeerAddress, LiveStack.LocalAddress, cookieSyn with { Flags = TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr }))));

        // ECN on the accepted connection (negotiated by the scripted handshake).
        yield return ("ecn-ce-data", Records((Aim, Frame(A | TcpFlags.Psh, 0, 0, 500, ecn: IpEcn.Ce)), (Aim, Frame(A, 500, 0, 500, ecn: IpEcn.Ect0))));
        yield return ("ecn-ece-ack", Records((Aim, Frame(A | TcpFlags.Ece, 0, 1448)), (Aim, Frame(A | TcpFlags.Ece, 0, 2896))));
        yield return ("ecn-cwr-data", Records((Aim, Frame(A | TcpFlags.Cwr | TcpFlags.Psh, 0, 0, 100, ecn: IpEcn.Ect1))));
        yield return ("challenge-ack-budget", Records(Enumerable.Range(0, 12).Select(i => (Aim, Frame(i % 2 == 0 ? TcpFlags.Rst : TcpFlags.Syn, 1000 + (uint)i, 0))).ToArray()));
        yield return ("syn-new-connection", Records((0, PacketBuilder.BuildTcp(LiveStack.PeerAddress, LiveStack.LocalAddress, newPeer))));
    }

    /// <summary>Passes packets through, keeping a copy of each in both directions.</summary>
    private sealed class Recorder(ILink inner, List<byte[]> packets) : ILink
    {
        public IObservable<ReadOnlyMemory<byte>> Inbound { get; } = inner.Inbound;
        public int Mtu => inner.Mtu;
        public void Send(ReadOnlyMemory<byte> packet)
        {
            packets.Add(packet.ToArray());
            inner.Send(packet);
        }
        public void Dispose() { }
    }
}
