using RxTcp.Fuzz;
using Xunit;
using System.Buffers.Binary;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>
/// Replays the checked-in fuzz corpus (fuzz/corpus/{parse,options,stack}: the seeds plus what AFL
/// campaigns kept) on every test run, so an input that once reached new code keeps being exercised
/// and a fixed crash stays fixed. fuzz/corpus/known-bugs, when it holds open findings, is replayed
/// only by reproducers built with HOSTILE_REPRODUCERS (see FixedBugRegressions.cs for fixed ones).
/// </summary>
public class RegressionCorpusTests
{
    internal static string CorpusRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "fuzz", "corpus");
                if (Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException("fuzz/corpus not found above " + AppContext.BaseDirectory);
        }
    }

    internal static string[] Files(string target) =>
        Directory.GetFiles(Path.Combine(CorpusRoot, target)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Corpus_is_present()
    {
        Assert.NotEmpty(Files("parse"));
        Assert.NotEmpty(Files("options"));
        Assert.NotEmpty(Files("stack"));
    }

    [Fact]
    public void Every_corpus_file_parses_without_throwing_and_accepted_TCP_round_trips()
    {
        foreach (var file in Directory.GetFiles(CorpusRoot, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            var reason = PacketParser.Parse(bytes, out var packet);
            if (reason != DropReason.None) continue;
            _ = packet.ToString();
            if (packet.Kind != PacketKind.Tcp) continue;
            var rebuilt = PacketBuilder.BuildTcp(packet.Ip.Source, packet.Ip.Destination, packet.Tcp);
            Assert.True(PacketParser.Parse(rebuilt, out var back) == DropReason.None, file);
            Assert.Equal(packet.Tcp.ToString(), back.Tcp.ToString());
        }
    }

    [Fact]
    public void Option_corpus_parses_behind_a_valid_header_and_round_trips()
    {
        foreach (var file in Files("options"))
        {
            var input = File.ReadAllBytes(file);
            int optionLength = Math.Min(input.Length, TcpOptions.MaxWireLength) & ~3;
            var segment = new byte[20 + optionLength + Math.Max(0, input.Length - optionLength)];
            BinaryPrimitives.WriteUInt16BigEndian(segment, 40000);
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), 80);
            segment[12] = (byte)((20 + optionLength) / 4 << 4);
            segment[13] = (byte)TcpFlags.Ack;
            input.CopyTo(segment.AsSpan(20));
            var (src, dst) = (LiveStack.PeerAddress, LiveStack.LocalAddress);
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(src, dst, IpProtocol.Tcp, segment.Length), segment)));
            var reason = TcpCodec.TryParse(segment, src, dst, out var parsed);
            if (reason == DropReason.BadOption) continue;
            Assert.True(reason == DropReason.None, $"{Path.GetFileName(file)}: {reason}");
            var buffer = new byte[TcpCodec.GetHeaderLength(parsed) + parsed.Payload.Length];
            TcpCodec.Write(buffer, parsed, src, dst);
            Assert.Equal(DropReason.None, TcpCodec.TryParse(buffer, src, dst, out var back));
            Assert.Equal(parsed.Options.ToString(), back.Options.ToString());
        }
    }

    /// <summary>
    /// Each stack-target input against the fuzz harness's live stack, exactly as AFL ran it; then the
    /// stack must still answer a ping and take a fresh connection's data byte-exact.
    /// </summary>
    [Fact]
    public void Stack_corpus_leaves_the_stack_healthy_and_serving()
    {
        var failures = new List<string>();
        foreach (var file in Files("stack"))
        {
            using var live = new LiveStack();
            try
            {
                live.Feed(File.ReadAllBytes(file));
                var delivered = FreshTransfer(live, 40_100, 10_000);
                if (delivered is not null) failures.Add($"{Path.GetFileName(file)}: {delivered}");
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetFileName(file)}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>A scripted peer opens a new connection and sends <paramref name="bytes"/> in order; returns what went wrong, if anything.</summary>
    internal static string? FreshTransfer(LiveStack live, ushort peerPort, int bytes)
    {
        var received = new MemoryStream();
        bool completed = false;
        const ushort port = 8090; // not one of LiveStack's own listeners
        using var accept = live.Stack.Listen(port).Subscribe(c => c.Received.Subscribe(m => received.Write(m.Span), _ => { }, () => completed = true));
        live.Scheduler.AdvanceBy(TimeSpan.FromTicks(1));
        var payload = new byte[bytes];
        new Random(peerPort).NextBytes(payload);
        uint seq = 77_000;
        TcpSegment Seg(TcpFlags flags) => new() { SourcePort = peerPort, DestinationPort = port, Seq = new SeqNum(seq), Flags = flags, Window = 65535 };

        live.Link.ClearSent();
        var syn = Seg(TcpFlags.Syn);
        syn.Options.Mss = 1000;
        live.Link.Inject(PacketBuilder.BuildTcp(LiveStack.PeerAddress, LiveStack.LocalAddress, syn));
        live.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1));
        SeqNum? iss = null;
        foreach (var (_, p) in live.Link.SentPackets)
            if (PacketParser.Parse(p, out var packet) == DropReason.None && packet.Kind == PacketKind.Tcp && packet.Tcp.DestinationPort == peerPort && packet.Tcp.Has(TcpFlags.Syn | TcpFlags.Ack))
                iss = packet.Tcp.Seq;
        if (iss is null) return "no SYN-ACK for a fresh connection";
        seq++;
        for (int offset = 0; offset <= bytes; offset += 1000)
        {
            int length = Math.Min(1000, bytes - offset);
            var s = Seg(length == 0 ? TcpFlags.Ack | TcpFlags.Fin : TcpFlags.Ack);
            s.Ack = iss.Value + 1;
            s.Payload = payload.AsMemory(offset, length);
            live.Link.Inject(PacketBuilder.BuildTcp(LiveStack.PeerAddress, LiveStack.LocalAddress, s));
            seq += (uint)length;
            live.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1));
            if (length == 0) break;
        }
        live.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1));
        if (!received.ToArray().AsSpan().SequenceEqual(payload)) return $"fresh connection delivered {received.Length} of {bytes} bytes, or different ones";
        return completed ? null : "fresh connection never saw the FIN";
    }
}
