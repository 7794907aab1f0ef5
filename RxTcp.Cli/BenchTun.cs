using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reactive.Linq;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Cli;

/// <summary>
/// <c>rxtcp bench tun</c>: the same kernel TCP client (a python3 process inside a fresh network
/// namespace, <c>sendall</c> in 1 MiB pieces) uploads to an RxTcp stack reading a TUN device in
/// that namespace, and to a kernel server across a veth pair between two more fresh namespaces.
/// Both servers discard and time the bytes after a warm-up, from their own side. Nothing is
/// created in the root namespace; namespaces (and with them the devices) and the client process
/// (by PID) are removed on every path.
/// </summary>
internal static class BenchTun
{
    private const int Port = 5001;
    private static readonly IPv4Address TunKernelAddress = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address TunStackAddress = IPv4Address.Parse("192.0.2.2");
    private const string VethClientAddress = "198.51.100.1";
    private const string VethServerAddress = "198.51.100.2";

    /// <summary>The client: connect, send the count in 1 MiB pieces, half-close, wait for the server's close.</summary>
    private const string ClientScript =
        "import socket,sys\n" +
        "host,port,left=sys.argv[1],int(sys.argv[2]),int(sys.argv[3])\n" +
        "s=socket.create_connection((host,port),timeout=30)\n" +
        "s.settimeout(None)\n" +
        "chunk=memoryview(bytes(range(256))*4096)\n" +
        "while left>0:\n" +
        "    n=min(left,len(chunk))\n" +
        "    s.sendall(chunk[:n])\n" +
        "    left-=n\n" +
        "s.shutdown(socket.SHUT_WR)\n" +
        "s.recv(1)\n" +
        "s.close()\n";

    /// <summary>One timed upload: bytes counted after the warm-up, the time they took, and CPU time per thread of this process meanwhile.</summary>
    public sealed record Upload(long Bytes, TimeSpan Elapsed, IReadOnlyList<(string Thread, double Seconds)> Cpu)
    {
        /// <summary>User and system CPU seconds of the client process (python3 and the kernel's sending work on its behalf) while timed.</summary>
        public (double User, double System) Client { get; init; }

        /// <summary>User and system CPU seconds of this process (the receiving side) while timed.</summary>
        public (double User, double System) Server { get; init; }

        /// <summary>Counters of the receiving side at the end (link and stack for RxTcp), for the notes.</summary>
        public string Counters { get; init; } = "";

        /// <summary>Bits per second, in Gbit/s.</summary>
        public double Gbit => Bytes * 8 / Elapsed.TotalSeconds / 1e9;
    }

    /// <summary>Throws a <see cref="TunException"/> with advice when the bench cannot run here.</summary>
    public static void CheckPrerequisites()
    {
        if (!OperatingSystem.IsLinux()) throw new TunException("needs Linux (TUN devices, network namespaces).");
        if (!Environment.IsPrivilegedProcess)
            throw new TunException("needs root: it creates network namespaces, a TUN device and a veth pair inside them (run it with sudo).");
        if (!File.Exists("/dev/net/tun")) throw new TunException("/dev/net/tun is missing: load the tun module (modprobe tun).");
        if (Python() is null) throw new TunException("the kernel client runs with python3, which is not installed (apt-get install python3).");
    }

    /// <summary>Kernel client → RxTcp on a TUN device in a fresh namespace.</summary>
    public static Upload RxTcp(long bytes, long warmup, int mtu, bool offload, TcpConfig tcp, CancellationToken cancel)
    {
        using var ns = NetworkNamespace.Create("rxtb");
        using var host = TunHost.Open(new TunSettings
        {
            Device = "rxtb0",
            StackAddress = TunStackAddress,
            KernelAddress = TunKernelAddress,
            Mtu = mtu,
            Namespace = ns.Name,
            Offload = offload,
            Tcp = tcp,
        });
        var meter = new Meter(warmup, bytes);
        using var listener = host.Stack.Listen(Port).Take(1).Subscribe(c => c.Received.Subscribe(
            m => meter.Add(m.Length),
            meter.Fail,
            () =>
            {
                meter.Fail(new IOException("the client closed before sending everything"));
                c.Close();
            }));
        using var client = ns.Start(Python()!, "-c", ClientScript, TunStackAddress.ToString(), Port.ToString(CultureInfo.InvariantCulture), (warmup + bytes).ToString(CultureInfo.InvariantCulture));
        meter.ClientPid = client.Id;
        string Counters() =>
            $"link: rx {host.Tun.PacketsReceived} packets ({host.Tun.SuperSegmentsReceived} super-segments), tx {host.Tun.PacketsSent}; stack: {host.Stack.Counters}; drops: {host.Stack.Drops}";
        var upload = meter.Await(client, cancel, () => host.LinkError?.Message ?? Counters());
        return upload with { Counters = Counters() + "; " + SenderCounters(ns) };
    }

    /// <summary>The same client → a kernel server, across a veth pair between two fresh namespaces.</summary>
    public static Upload Kernel(long bytes, long warmup, int mtu, CancellationToken cancel)
    {
        using var clientNs = NetworkNamespace.Create("rxtb");
        using var serverNs = NetworkNamespace.Create("rxtb");
        // Created inside the client namespace with its peer moved straight into the server's:
        // neither end ever exists in the root namespace.
        clientNs.Run("ip", "link", "add", "rxtb-c", "type", "veth", "peer", "name", "rxtb-s", "netns", serverNs.Name).EnsureSuccess();
        foreach (var (ns, device, address) in new[] { (clientNs, "rxtb-c", VethClientAddress), (serverNs, "rxtb-s", VethServerAddress) })
        {
            ns.Run("sysctl", "-qw", $"net.ipv6.conf.{device}.disable_ipv6=1");
            ns.Run("ip", "addr", "add", address + "/24", "dev", device).EnsureSuccess();
            ns.Run("ip", "link", "set", device, "mtu", mtu.ToString(CultureInfo.InvariantCulture), "up").EnsureSuccess();
        }

        using var listener = serverNs.Invoke(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(VethServerAddress), Port));
            socket.Listen(1);
            return socket;
        });
        var meter = new Meter(warmup, bytes);
        Socket? accepted = null;
        var server = new Thread(() =>
        {
            try
            {
                accepted = listener.Accept();
                var buffer = new byte[256 * 1024];
                int n;
                while ((n = accepted.Receive(buffer)) > 0) meter.Add(n);
                meter.Fail(new IOException("the client closed before sending everything"));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                meter.Fail(e);
            }
            finally
            {
                accepted?.Dispose();
            }
        }) { IsBackground = true, Name = "bench kernel server" };
        server.Start();
        try
        {
            using var client = clientNs.Start(Python()!, "-c", ClientScript, VethServerAddress, Port.ToString(CultureInfo.InvariantCulture), (warmup + bytes).ToString(CultureInfo.InvariantCulture));
            meter.ClientPid = client.Id;
            var upload = meter.Await(client, cancel, () => "");
            return upload with { Counters = SenderCounters(clientNs) };
        }
        finally
        {
            // Unblocks Accept/Receive whichever way we leave.
            listener.Dispose();
            accepted?.Dispose();
            server.Join(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// The sending kernel's loss-recovery counters in the client's namespace (the whole connection,
    /// warm-up included): retransmissions there mean the receiver was slow to acknowledge.
    /// </summary>
    private static string SenderCounters(NetworkNamespace ns)
    {
        var result = ns.Run(TimeSpan.FromSeconds(10), "nstat", "-asz", "TcpRetransSegs", "TcpExtTCPLossProbes", "TcpExtTCPTimeouts", "TcpExtTCPSpuriousRTOs", "TcpExtTCPDSACKRecv");
        if (!result.Succeeded) return "sending kernel: nstat unavailable";
        var counters = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length >= 2)
            .Select(parts => $"{parts[0].Replace("TcpExt", "", StringComparison.Ordinal)} {parts[1]}");
        return "sending kernel: " + string.Join(", ", counters);
    }

    private static string? Python() =>
        new[] { "/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3" }.FirstOrDefault(File.Exists);

    /// <summary>
    /// Counts bytes as they arrive (from one thread at a time), starts the clock once the warm-up
    /// has passed and stops it when the rest is in.
    /// </summary>
    private sealed class Meter(long warmup, long timed)
    {
        private readonly TaskCompletionSource<Upload> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _received, _startBytes = -1, _startTicks;
        private Dictionary<string, double>? _cpuAtStart;
        private (double User, double System) _clientAtStart, _serverAtStart;
        private volatile int _clientPid;

        /// <summary>The client's process id, for its CPU time (0 until known).</summary>
        public int ClientPid { get => _clientPid; set => _clientPid = value; }

        public void Add(int count)
        {
            _received += count;
            if (_startBytes < 0 && _received >= warmup)
            {
                _startBytes = _received;
                _startTicks = Stopwatch.GetTimestamp();
                _cpuAtStart = ThreadCpu.Snapshot();
                _serverAtStart = ThreadCpu.OfProcess(Environment.ProcessId);
                _clientAtStart = ClientPid == 0 ? (-1, -1) : ThreadCpu.OfProcess(ClientPid);
            }
            if (_startBytes >= 0 && _received >= warmup + timed && !_done.Task.IsCompleted)
            {
                var elapsed = Stopwatch.GetElapsedTime(_startTicks);
                var server = ThreadCpu.OfProcess(Environment.ProcessId);
                var client = _clientAtStart.User < 0 ? (0, 0) : ThreadCpu.OfProcess(ClientPid);
                _done.TrySetResult(new Upload(_received - _startBytes, elapsed, ThreadCpu.Since(_cpuAtStart!))
                {
                    Server = (server.User - _serverAtStart.User, server.System - _serverAtStart.System),
                    Client = _clientAtStart.User < 0 ? (double.NaN, double.NaN) : (client.Item1 - _clientAtStart.User, client.Item2 - _clientAtStart.System),
                });
            }
        }

        public void Fail(Exception error) => _done.TrySetException(error);

        /// <summary>Waits for the timed bytes, the client failing, Ctrl-C or a generous timeout.</summary>
        public Upload Await(NamespaceProcess client, CancellationToken cancel, Func<string> diagnostics)
        {
            // At least a minute, or 10 MB/s: far slower than anything that works.
            var limit = TimeSpan.FromSeconds(Math.Max(60, (warmup + timed) / 10e6));
            var watch = Stopwatch.StartNew();
            while (!_done.Task.Wait(50))
            {
                cancel.ThrowIfCancellationRequested();
                if (client.HasExited && !_done.Task.Wait(1000))
                    throw new TunException($"the kernel client exited ({client.ExitCode}) after {_received:N0} bytes: {client.Output.Trim()} {diagnostics()}".Trim());
                if (watch.Elapsed > limit)
                    throw new TimeoutException($"the upload did not finish within {limit.TotalSeconds:0} s ({_received:N0} bytes arrived). {diagnostics()}".Trim());
            }
            return _done.Task.GetAwaiter().GetResult();
        }
    }
}
