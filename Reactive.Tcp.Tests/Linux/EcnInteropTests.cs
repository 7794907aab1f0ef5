using System.Buffers.Binary;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Reactive.Tcp.Links;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;
using Reactive.Tcp.Diagnostics;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// ECN (RFC 3168) against the Linux kernel's TCP over a TUN device. <c>net.ipv4.tcp_ecn</c> is set
/// inside the test's own namespace (it is per namespace), so the machine's setting is untouched.
/// The stack's link is recorded to an in-memory pcap to read the handshake flags and ECN
/// codepoints as they crossed the wire; <c>ss -tin</c> gives the kernel's own view.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public class EcnInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [LinuxRootFact]
    public async Task Kernel_client_asking_for_ecn_gets_it_from_an_RxTcp_listener_that_accepts()
    {
        var (packets, kernelView) = await KernelClientToListener(EcnMode.Accept);

        var syn = packets.First(p => !p.FromStack && p.Tcp.Has(TcpFlags.Syn));
        var synAck = packets.First(p => p.FromStack && p.Tcp.Has(TcpFlags.Syn));
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, syn.Tcp.Flags);          // the kernel asks (tcp_ecn=1)
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, synAck.Tcp.Flags);        // we agree
        Assert.Contains(packets, p => !p.FromStack && p.Tcp.Payload.Length > 0 && p.Tcp.Ecn == IpEcn.Ect0); // and so does the kernel's data
        AssertOnlyFirstTransmissionsAreEct(packets);
    }

    [LinuxRootFact]
    public async Task Kernel_client_asking_for_ecn_is_refused_by_an_RxTcp_listener_with_ecn_off()
    {
        var (packets, kernelView) = await KernelClientToListener(EcnMode.Off);

        var synAck = packets.First(p => p.FromStack && p.Tcp.Has(TcpFlags.Syn));
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Tcp.Flags);
        Assert.All(packets, p => Assert.Equal(IpEcn.NotEct, p.Tcp.Ecn)); // neither side's data is ECN-capable
    }

    [LinuxRootFact]
    public async Task RxTcp_client_with_ecn_on_negotiates_ecn_with_a_kernel_server()
    {
        var capture = new MemoryStream();
        string kernelView;
        using (var pcap = new PcapWriter(capture, leaveOpen: true))
        using (var rig = new TunInterop(TcpConfig.Default with { Ecn = EcnMode.On }, pcap: pcap))
        {
            rig.Namespace.Run("sysctl", "-w", "net.ipv4.tcp_ecn=2").EnsureSuccess(); // the kernel's default: accept, never ask
            using var listen = rig.KernelSocket();
            listen.Bind(TunInterop.Endpoint(TunInterop.KernelAddress, 5002));
            listen.Listen(4);
            var server = Task.Run(async () =>
            {
                using var accepted = await listen.AcceptAsync();
                var buffer = new byte[64 * 1024];
                long total = 0;
                int n;
                while (total < 200_000 && (n = await accepted.ReceiveAsync(buffer)) > 0) total += n;
                string view = rig.Namespace.Run("ss", "-tin", "src", TunInterop.KernelAddress.ToString() + ":5002").StandardOutput;
                await accepted.SendAsync("thanks"u8.ToArray());
                accepted.Shutdown(SocketShutdown.Both);
                return (total, view);
            });

            var connection = await rig.Stack.Connect(TunInterop.KernelAddress, 5002).FirstAsync().ToTask().Within(Limit, rig, "connect");
            var reply = connection.Received.Take(1).ToTask();
            await connection.Send(Interop.RandomBytes(200_000, seed: 9)).ToTask().Within(Limit, rig, "send");
            var (total, view) = await server.Within(Limit, rig, "kernel server");
            await reply.Within(Limit, rig, "reply");
            connection.Close();
            Assert.Equal(200_000, total);
            kernelView = view;
            output.WriteLine(rig.Diagnostics());
        }

        var packets = ReadPcap(capture.ToArray());
        output.WriteLine("kernel: " + kernelView.Trim());
        foreach (var p in packets.Take(6)) output.WriteLine(p.ToString());
        var syn = packets.First(p => p.FromStack && p.Tcp.Has(TcpFlags.Syn));
        var synAck = packets.First(p => !p.FromStack && p.Tcp.Has(TcpFlags.Syn));
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, syn.Tcp.Flags);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, synAck.Tcp.Flags);
        AssertOnlyFirstTransmissionsAreEct(packets);
    }

    [LinuxRootFact]
    public async Task Ce_marks_on_the_kernels_data_are_echoed_until_the_kernel_sends_cwr()
    {
        const int size = 8 * 1024 * 1024;
        var capture = new MemoryStream();
        using (var pcap = new PcapWriter(capture, leaveOpen: true))
        // What the kernel sends towards the stack meets an ECN-aware queue that marks 1 % of ECT
        // packets CE (and drops that share of Not-ECT ones). This kernel has no netem or RED
        // qdisc, so the queue is the stack's own impairment, on the stack's side of the TUN device.
        using (var rig = new TunInterop(TcpConfig.Default with { Ecn = EcnMode.On }, pcap: pcap, path: link => new CongestedPath(link, 0.01, seed: 5)))
        {
            rig.Namespace.Run("sysctl", "-w", "net.ipv4.tcp_ecn=1").EnsureSuccess();
            var body = Interop.RandomBytes(size, seed: 11);
            using var listen = rig.KernelSocket();
            listen.Bind(TunInterop.Endpoint(TunInterop.KernelAddress, 5003));
            listen.Listen(4);
            var server = Task.Run(async () =>
            {
                using var accepted = await listen.AcceptAsync();
                await accepted.SendAsync(body);
                string view = rig.Namespace.Run("ss", "-tin", "src", TunInterop.KernelAddress.ToString() + ":5003").StandardOutput;
                accepted.Shutdown(SocketShutdown.Send);
                return view;
            });

            var connection = await rig.Stack.Connect(TunInterop.KernelAddress, 5003).FirstAsync().ToTask().Within(Limit, rig, "connect");
            var received = new MemoryStream(size);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.Received.Subscribe(m => received.Write(m.Span), e => done.TrySetException(e), () => done.TrySetResult());
            var view = await server.Within(Limit, rig, "kernel send");
            await done.Task.Within(Limit, rig, "8 MiB download");
            connection.Close();
            output.WriteLine("kernel: " + view.Trim());
            output.WriteLine(rig.Diagnostics());
            Assert.Equal(Interop.Sha256(body), Interop.Sha256(received.ToArray()));
        }

        var packets = ReadPcap(capture.ToArray());
        int ce = packets.Count(p => !p.FromStack && p.Tcp.Ecn == IpEcn.Ce);
        int ece = packets.Count(p => p.FromStack && p.Tcp.Has(TcpFlags.Ece) && !p.Tcp.Has(TcpFlags.Syn));
        int cwr = packets.Count(p => !p.FromStack && p.Tcp.Has(TcpFlags.Cwr) && !p.Tcp.Has(TcpFlags.Syn));
        output.WriteLine($"{packets.Count} packets: {ce} arrived CE-marked, we sent {ece} ACKs with ECE, the kernel sent {cwr} segments with CWR");
        Assert.True(ce > 0, "netem marked nothing");
        Assert.True(ece > 0, "no ECE echoed");
        Assert.True(cwr > 0, "the kernel never signalled CWR");
        // The echo stops once CWR arrives: after the last CWR, ECE only follows a new CE mark.
        int lastCwr = packets.FindLastIndex(p => !p.FromStack && p.Tcp.Has(TcpFlags.Cwr));
        int nextCe = packets.FindIndex(lastCwr + 1, p => !p.FromStack && p.Tcp.Ecn == IpEcn.Ce);
        int nextEce = packets.FindIndex(lastCwr + 1, p => p.FromStack && p.Tcp.Has(TcpFlags.Ece));
        Assert.True(nextEce < 0 || (nextCe >= 0 && nextCe < nextEce), $"ECE at packet {nextEce} after the last CWR at {lastCwr} with no CE before it");
    }

    /// <summary>
    /// Our new data went out ECT(0); a resend of the same sequence number, our pure ACKs and our
    /// SYN went out Not-ECT (RFC 3168 §6.1.4–6.1.5).
    /// </summary>
    private void AssertOnlyFirstTransmissionsAreEct(List<Captured> packets)
    {
        var seen = new HashSet<uint>();
        int ect = 0, resent = 0;
        foreach (var p in packets.Where(p => p.FromStack))
        {
            if (p.Tcp.Payload.Length == 0) { Assert.Equal(IpEcn.NotEct, p.Tcp.Ecn); continue; }
            bool first = seen.Add(p.Tcp.Seq.Value);
            Assert.True(p.Tcp.Ecn == (first ? IpEcn.Ect0 : IpEcn.NotEct), $"{(first ? "new data" : "resend")} went out {p.Tcp.Ecn}: {p}");
            if (first) ect++;
            else resent++;
        }
        output.WriteLine($"our data segments: {ect} new ones ECT(0), {resent} resends Not-ECT");
        Assert.True(ect > 0);
    }

    /// <summary>A router between the kernel and the stack that meets congestion on a share of what the kernel sends.</summary>
    private sealed class CongestedPath(ILink inner, double p, int seed) : ILink
    {
        public IObservable<ReadOnlyMemory<byte>> Inbound { get; } = inner.Inbound.MarkCongestion(p, new Random(seed));
        public int Mtu => inner.Mtu;
        public void Send(ReadOnlyMemory<byte> packet) => inner.Send(packet);
        public void Send(PooledPacket packet) => inner.Send(packet);
        public void Dispose() => inner.Dispose();
    }

    private async Task<(List<Captured> Packets, string KernelView)> KernelClientToListener(EcnMode mode)
    {
        var capture = new MemoryStream();
        string kernelView;
        using (var pcap = new PcapWriter(capture, leaveOpen: true))
        using (var rig = new TunInterop(TcpConfig.Default with { Ecn = mode }, pcap: pcap))
        {
            rig.Namespace.Run("sysctl", "-w", "net.ipv4.tcp_ecn=1").EnsureSuccess(); // the kernel asks on active opens
            using var listener = rig.Stack.Listen(7).Subscribe(c => c.Received.Subscribe(m => c.Send(m.ToArray()).Subscribe(_ => { }, _ => { }), _ => { }, c.Close));
            using var socket = rig.KernelSocket();
            await socket.ConnectAsync(TunInterop.Endpoint(TunInterop.StackAddress, 7)).Within(Limit, rig, "connect");
            var message = Interop.RandomBytes(100_000, seed: 7);
            await socket.SendAsync(message);
            var echoed = new byte[message.Length];
            int got = 0;
            while (got < echoed.Length)
            {
                int n = await socket.ReceiveAsync(echoed.AsMemory(got)).AsTask().Within(Limit, rig, "echo");
                if (n == 0) break;
                got += n;
            }
            kernelView = rig.Namespace.Run("ss", "-tin", "dst", TunInterop.StackAddress.ToString() + ":7").StandardOutput;
            socket.Shutdown(SocketShutdown.Send);
            Assert.Equal(message, echoed);
            output.WriteLine(rig.Diagnostics());
        }
        var packets = ReadPcap(capture.ToArray());
        output.WriteLine("kernel: " + kernelView.Trim());
        foreach (var p in packets.Take(6)) output.WriteLine(p.ToString());
        return (packets, kernelView);
    }

    /// <summary>A TCP packet from the stack's pcap, with the direction it went.</summary>
    private sealed record Captured(bool FromStack, TcpSegment Tcp, string Text)
    {
        public override string ToString() => (FromStack ? "stack > kernel " : "kernel > stack ") + Text;
    }

    private static List<Captured> ReadPcap(byte[] file)
    {
        var packets = new List<Captured>();
        int at = 24; // global header
        while (at + 16 <= file.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8));
            var frame = file.AsMemory(at + 16, length);
            at += 16 + length;
            if (PacketParser.Parse(frame, out var p) != DropReason.None || p.Kind != PacketKind.Tcp) continue;
            packets.Add(new Captured(p.Ip.Source == TunInterop.StackAddress, p.Tcp, p.ToString()));
        }
        return packets;
    }
}
