using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Reactive.Tcp.Links;
using RxTcp.Cli.Apps;
using Xunit;
using Xunit.Abstractions;
using Reactive.Tcp.Diagnostics;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// The applications behind <c>rxtcp serve</c> and <c>rxtcp fetch</c> on a TUN device, with the
/// Linux kernel (curl, python3, sockets) as the peer, also under nftables random loss, plus a pcap
/// of a transfer checked by tshark.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public sealed class ServeFetchInteropTests(ITestOutputHelper output) : IDisposable
{
    private const int Big = 64 * 1024 * 1024;
    private static readonly TimeSpan TransferLimit = TimeSpan.FromMinutes(3);
    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("rxt-serve-");

    /// <summary>
    /// Bytes moved by the loss tests: 64 MiB at 5 % each way (about 6 s and 15 s here);
    /// RXTCP_LOSS_MIB sets another size.
    /// </summary>
    private static int LossBytes =>
        (int.TryParse(Environment.GetEnvironmentVariable("RXTCP_LOSS_MIB"), out var mib) && mib is > 0 and <= 1024 ? mib : 64) * 1024 * 1024;

    public void Dispose() => _files.Delete(recursive: true);

    [LinuxRootFact]
    public Task Curl_downloads_64_MiB_from_the_http_app_with_a_root() => CurlFromHttpApp(Big, lossPercent: 0);

    [LinuxRootFact]
    public Task Curl_downloads_from_the_http_app_with_5_percent_loss_each_way() => CurlFromHttpApp(LossBytes, lossPercent: 5);

    [LinuxRootFact]
    public Task Fetch_downloads_64_MiB_from_python_http_server() => FetchFromPython(Big, lossPercent: 0);

    [LinuxRootFact]
    public Task Fetch_downloads_from_python_http_server_with_5_percent_loss_each_way() => FetchFromPython(LossBytes, lossPercent: 5);

    [LinuxRootFact]
    public async Task A_kernel_UDP_socket_gets_you_said_from_udp_echo()
    {
        using var rig = new TunInterop();
        using var app = UdpEchoApp.Start(rig.Stack);
        using var socket = rig.Namespace.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        socket.Bind(new IPEndPoint(IPAddress.Parse(TunInterop.KernelAddress.ToString()), 0));
        var target = TunInterop.Endpoint(TunInterop.StackAddress, UdpEchoApp.DefaultPort);
        var buffer = new byte[2048];
        // The last one fits the 1500-byte MTU, its reply ("You said: " + 1470 bytes) does not: it is cut to fit.
        foreach (var text in new[] { "hello", "second datagram", new string('x', 1470) })
        {
            await socket.SendToAsync(Encoding.UTF8.GetBytes(text), target);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
            var reply = Encoding.UTF8.GetString(buffer, 0, received.ReceivedBytes);
            Assert.Equal(target, received.RemoteEndPoint);
            if (text.Length < 1470) Assert.Equal("You said: " + text, reply);
            else Assert.Equal(1500 - 28, received.ReceivedBytes); // cut to the MTU, prefix kept
            Assert.StartsWith("You said: ", reply);
        }
        output.WriteLine(rig.Diagnostics());
    }

    [LinuxRootFact]
    public async Task A_slow_kernel_reader_closes_its_window_and_the_transfer_finishes_when_it_drains()
    {
        const int size = 4 * 1024 * 1024;
        var body = Interop.RandomBytes(size, seed: 21);
        File.WriteAllBytes(Path.Combine(_files.FullName, "slow.bin"), body);
        var pcapPath = Path.Combine(_files.FullName, "slow.pcap");
        using var pcap = new PcapWriter(pcapPath);
        using (var rig = new TunInterop(pcap: pcap))
        {
            var app = new HttpApp(_files.FullName);
            using var service = new TcpService(rig.Stack, HttpApp.DefaultPort, app.Serve);
            // A small receive buffer, and a 3 s nap before the first read: the kernel's window goes to zero.
            var script = $$"""
                import hashlib, socket, sys, time
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
                s.connect(("{{TunInterop.StackAddress}}", 80))
                s.sendall(b"GET /slow.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                time.sleep(3)
                data = bytearray()
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                head, _, body = bytes(data).partition(b"\r\n\r\n")
                print(head.split(b"\r\n")[0].decode(), len(body), hashlib.sha256(body).hexdigest().upper())
                """;
            var watch = Stopwatch.StartNew();
            var run = await Task.Run(() => rig.Namespace.Run(TimeSpan.FromSeconds(60), "python3", "-c", script));
            watch.Stop();
            output.WriteLine($"python3: {run.StandardOutput.Trim()} {run.StandardError.Trim()} after {watch.Elapsed.TotalSeconds:0.0} s");
            output.WriteLine(rig.Diagnostics());
            Assert.True(run.Succeeded, run + " " + rig.Diagnostics());
            Assert.Equal($"HTTP/1.1 200 OK {size} {Interop.Sha256(body)}", run.StandardOutput.Trim());
        }
        pcap.Dispose();

        // The capture shows the kernel's zero window and the stack probing it.
        var zero = Tshark.Count(pcapPath, $"tcp.window_size == 0 && ip.src == {TunInterop.KernelAddress}");
        // The stack probes as Linux does, with an empty segment at SND.UNA - 1, which tshark labels
        // "keep-alive"; a one-byte probe of new data would be "zero_window_probe". Either counts.
        var probes = Tshark.Count(pcapPath, $"(tcp.analysis.zero_window_probe || tcp.analysis.keep_alive) && ip.src == {TunInterop.StackAddress}");
        var updates = Tshark.Count(pcapPath, $"tcp.analysis.window_update && ip.src == {TunInterop.KernelAddress}");
        output.WriteLine($"kernel zero-window segments: {zero}; stack probes while it was closed: {probes}; kernel window updates: {updates}");
        Assert.True(zero > 0, "the kernel never advertised a zero window; the test did not test anything");
        Assert.True(probes > 0, "no zero-window probe from the stack while the kernel's window was closed");
    }

    [LinuxRootFact]
    public async Task A_pcap_of_a_transfer_is_clean_under_tshark_with_checksum_validation()
    {
        const int size = 8 * 1024 * 1024;
        var body = Interop.RandomBytes(size, seed: 31);
        File.WriteAllBytes(Path.Combine(_files.FullName, "f.bin"), body);
        var pcapPath = Path.Combine(_files.FullName, "transfer.pcap");
        using var pcap = new PcapWriter(pcapPath);
        using (var rig = new TunInterop(pcap: pcap))
        {
            using var service = new TcpService(rig.Stack, HttpApp.DefaultPort, new HttpApp(_files.FullName).Serve);
            using var udp = UdpEchoApp.Start(rig.Stack);
            var ping = rig.Namespace.Run("ping", "-c", "2", "-i", "0.2", "-W", "1", TunInterop.StackAddress.ToString());
            var download = Path.Combine(_files.FullName, "download.bin");
            var curl = await Task.Run(() => rig.Namespace.Run(TransferLimit, "curl", "-sS", "--fail", "-o", download,
                $"http://{TunInterop.StackAddress}/f.bin", "-o", "/dev/null", $"http://{TunInterop.StackAddress}/"));
            Assert.True(curl.Succeeded, curl + " " + rig.Diagnostics());
            Assert.True(ping.Succeeded, ping.ToString());
            Assert.Equal(Interop.Sha256(body), Interop.Sha256(File.ReadAllBytes(download)));
            // The fetch direction too, from a kernel server.
            using var server = rig.Namespace.Start("python3", "-m", "http.server", "8000", "--bind", TunInterop.KernelAddress.ToString(), "--directory", _files.FullName);
            rig.WaitForKernelPort(8000, TimeSpan.FromSeconds(20));
            var fetched = new MemoryStream();
            var result = await HttpFetch.GetAsync(rig.Stack, new Uri($"http://{TunInterop.KernelAddress}:8000/f.bin"), fetched).WaitAsync(TransferLimit);
            Assert.Equal(200, result.StatusCode);
            Assert.Equal(Interop.Sha256(body), Interop.Sha256(fetched.ToArray()));
            await Task.Delay(300); // the last ACKs of the close
        }
        pcap.Dispose();

        var watch = Stopwatch.StartNew();
        const string Filter = "_ws.malformed || _ws.expert.severity >= warning || ip.checksum.status==0 || tcp.checksum.status==0 || udp.checksum.status==0";
        string[] checksums = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"];
        var check = Tshark.Run(pcapPath, [.. checksums, "-Y", Filter]);
        // Proof that checking happened: every TCP segment's checksum was verified good.
        var verified = Tshark.Count(pcapPath, "tcp.checksum.status == 1", checksums);
        var tcp = Tshark.Count(pcapPath, "tcp");
        watch.Stop();
        output.WriteLine($"tshark: {tcp} TCP segments, {verified} with a verified checksum; findings: '{check.StandardOutput.Trim()}'; stderr: '{check.StandardError.Trim()}' ({watch.Elapsed.TotalSeconds:0.0} s)");
        Assert.True(check.Succeeded, check.ToString());
        Assert.Equal("", check.StandardError);
        Assert.True(tcp > 10_000, $"only {tcp} TCP segments in the capture");
        Assert.Equal(tcp, verified);
        foreach (var from in new[] { TunInterop.StackAddress, TunInterop.KernelAddress })
        {
            // Nothing is lost on the TUN link: retransmissions come only from timers firing late on a
            // busy machine, and must stay rare (a storm, or a retransmission per window, fails).
            int data = Tshark.Count(pcapPath, $"ip.src == {from} && tcp.len > 0");
            int resent = Tshark.Count(pcapPath, $"ip.src == {from} && (tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission)");
            output.WriteLine($"{from}: {resent} retransmissions of {data} data segments");
            Assert.True(resent * 100 <= data, $"{from} retransmitted {resent} of {data} data segments on a lossless link");
        }
        if (check.StandardOutput.Length == 0) return;

        // tshark 4.0 rates the flow-control notes "TCP Window Full" (a sender used all of the window
        // the receiver offered) and "TCP ZeroWindow" (a receiver whose application has not read yet
        // offers no window) as warnings. On a busy machine either side's reader lags: the kernel's
        // http.server fills the window of the stack's fetch while the test's reader is descheduled,
        // and the stack, its application starved, advertises a zero window until it reads. That is
        // TCP flow control working, not a fault, as long as the window opens again (a window update
        // follows every zero window) and the transfers completed (checked above). Anything else the
        // filter finds (checksums, malformed packets, unseen segments, out-of-order) fails the test.
        // A D-SACK is a receiver reporting a duplicate: on this lossless link, a retransmission
        // (timer or tail-loss probe) that fired while the ACKs were still queued for a starved
        // reader. Such spurious retransmissions are allowed, but only a few (counted above).
        output.WriteLine(Tshark.Run(pcapPath, "-q", "-z", "expert").StandardOutput);
        const string FlowControl = "tcp.analysis.window_full || tcp.analysis.zero_window || tcp.analysis.zero_window_probe || tcp.analysis.zero_window_probe_ack || tcp.options.sack.dsack";
        var others = Tshark.Run(pcapPath, [.. checksums, "-Y", $"({Filter}) && !({FlowControl})"]);
        Assert.Equal("", others.StandardError);
        Assert.Equal("", others.StandardOutput);
        foreach (var (from, to) in new[] { (TunInterop.StackAddress, TunInterop.KernelAddress), (TunInterop.KernelAddress, TunInterop.StackAddress) })
        {
            // The last zero window each side advertised is followed by a segment from it that opens the window again.
            var zeros = Tshark.Fields(pcapPath, $"tcp.analysis.zero_window && ip.src == {from}", "frame.number", "tcp.stream");
            foreach (var zero in zeros.GroupBy(z => z[1]).Select(g => g.Last()))
            {
                int opened = Tshark.Count(pcapPath, $"frame.number > {zero[0]} && tcp.stream == {zero[1]} && ip.src == {from} && ip.dst == {to} && tcp.window_size > 0");
                Assert.True(opened > 0, $"{from} advertised a zero window in frame {zero[0]} (stream {zero[1]}) and never opened it again");
            }
        }
    }

    private async Task CurlFromHttpApp(int size, int lossPercent)
    {
        var body = Interop.RandomBytes(size, seed: 11 + lossPercent);
        File.WriteAllBytes(Path.Combine(_files.FullName, "big.bin"), body);
        using var rig = new TunInterop();
        using var loss = lossPercent > 0 ? Loss.Apply(rig, lossPercent) : null;
        var app = new HttpApp(_files.FullName);
        using var service = new TcpService(rig.Stack, HttpApp.DefaultPort, app.Serve);
        var download = Path.Combine(_files.FullName, "download.bin");

        var watch = Stopwatch.StartNew();
        var curl = await Task.Run(() => rig.Namespace.Run(TransferLimit, "curl", "-sS", "--fail", "-o", download,
            "-w", "%{http_code} %{size_download}", $"http://{TunInterop.StackAddress}/big.bin"));
        watch.Stop();
        output.WriteLine($"curl: {curl.StandardOutput} {curl.StandardError}");
        output.WriteLine($"RxTcp http app → kernel curl{(lossPercent > 0 ? $", {lossPercent} % loss each way" : "")}: {Interop.Rate(size, watch.Elapsed)}");
        if (loss is not null) output.WriteLine(loss.Report());
        output.WriteLine(rig.Diagnostics());
        Assert.True(curl.Succeeded, curl + " " + rig.Diagnostics());
        Assert.Equal(size, new FileInfo(download).Length);
        Assert.Equal(Interop.Sha256(body), Interop.Sha256(File.ReadAllBytes(download)));
        Assert.Equal(1, app.Requests);
    }

    private async Task FetchFromPython(int size, int lossPercent)
    {
        var body = Interop.RandomBytes(size, seed: 12 + lossPercent);
        File.WriteAllBytes(Path.Combine(_files.FullName, "big.bin"), body);
        using var rig = new TunInterop();
        // The sender is the kernel here: under loss, pin its congestion control to cubic.
        using var server = lossPercent > 0
            ? rig.Namespace.Start(Loss.CubicHttpServer(TunInterop.KernelAddress.ToString(), 8000, _files.FullName))
            : rig.Namespace.Start("python3", "-m", "http.server", "8000", "--bind", TunInterop.KernelAddress.ToString(), "--directory", _files.FullName);
        rig.WaitForKernelPort(8000, TimeSpan.FromSeconds(20));
        using var loss = lossPercent > 0 ? Loss.Apply(rig, lossPercent) : null;

        var received = new MemoryStream(size + 4096);
        var watch = Stopwatch.StartNew();
        var result = await HttpFetch.GetAsync(rig.Stack, new Uri($"http://{TunInterop.KernelAddress}:8000/big.bin"), received).Within(TransferLimit, rig, "fetch");
        watch.Stop();
        output.WriteLine($"kernel python http.server → RxTcp fetch{(lossPercent > 0 ? $", {lossPercent} % loss each way" : "")}: {Interop.Rate(size, watch.Elapsed)}; {result}");
        if (loss is not null) output.WriteLine(loss.Report());
        output.WriteLine(rig.Diagnostics());
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(size, received.Length);
        Assert.Equal(Interop.Sha256(body), Interop.Sha256(received.GetBuffer().AsSpan(0, (int)received.Length)));
    }
}

/// <summary>
/// Random loss on the rig's device with nftables, inside the rig's namespace only: an inet output
/// hook drops the kernel's packets towards the stack, a netdev ingress hook drops the stack's
/// packets before the kernel sees them. The kernel's congestion control is pinned to cubic (the
/// namespace default is bbr) so figures are comparable. Removed with the namespace; Dispose removes it earlier.
/// Limits: a namespace can only default to the algorithms the initial namespace allows, so cubic
/// may have to be set per socket (see <see cref="CubicHttpServer"/>).
/// </summary>
internal sealed class Loss : IDisposable
{
    private readonly TunInterop _rig;

    private Loss(TunInterop rig) => _rig = rig;

    public static Loss Apply(TunInterop rig, int percent)
    {
        Interop.EnsureTool("nft", "nftables");
        var loss = new Loss(rig);
        var device = TunInterop.DeviceName;
        var ns = rig.Namespace;
        // Only the algorithms the initial namespace allows can be made a namespace's default (here:
        // reno, bbr); then the kernel servers set cubic on their own sockets (CongestionControl).
        loss.CubicByDefault = ns.Run("sysctl", "-qw", "net.ipv4.tcp_congestion_control=cubic").Succeeded;
        // The output hook sees the kernel's packets before GSO cuts them into segments: one drop
        // would take out up to 64 KiB at once. One segment per packet makes the loss per segment.
        ns.Run("ip", "link", "set", "dev", device, "gso_max_segs", "1").EnsureSuccess();
        ns.Run("nft", "add", "table", "inet", "rxtloss").EnsureSuccess();
        ns.Run("nft", "add", "chain", "inet", "rxtloss", "out", "{ type filter hook output priority 0 ; }").EnsureSuccess();
        ns.Run("nft", "add", "rule", "inet", "rxtloss", "out", "oifname", device, "numgen", "random", "mod", "100", "<", percent.ToString(), "counter", "drop").EnsureSuccess();
        ns.Run("nft", "add", "table", "netdev", "rxtloss").EnsureSuccess();
        ns.Run("nft", "add", "chain", "netdev", "rxtloss", "in", $"{{ type filter hook ingress device {device} priority 0 ; }}").EnsureSuccess();
        ns.Run("nft", "add", "rule", "netdev", "rxtloss", "in", "numgen", "random", "mod", "100", "<", percent.ToString(), "counter", "drop").EnsureSuccess();
        return loss;
    }

    /// <summary>Whether the namespace's default congestion control could be set to cubic.</summary>
    public bool CubicByDefault { get; private set; }

    /// <summary>
    /// A python3 http.server whose listening socket (and so every accepted one) uses cubic, set with
    /// TCP_CONGESTION, which root may do for any available algorithm, allowed or not.
    /// </summary>
    public static string[] CubicHttpServer(string address, int port, string directory) =>
    [
        "python3", "-c",
        "import functools, http.server, socket, sys\n"
        + "class Server(http.server.ThreadingHTTPServer):\n"
        + "    def server_bind(self):\n"
        + "        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')\n"
        + "        super().server_bind()\n"
        + "handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])\n"
        + "Server((sys.argv[1], int(sys.argv[2])), handler).serve_forever()\n",
        address, port.ToString(), directory,
    ];

    /// <summary>The rules with their drop counters.</summary>
    public string Report()
    {
        var rules = _rig.Namespace.Run("nft", "list", "ruleset").StandardOutput;
        var counters = rules.Split('\n').Where(l => l.Contains("drop")).Select(l => l.Trim());
        return "nftables: " + string.Join("; ", counters)
            + $"; namespace default congestion control {(CubicByDefault ? "cubic" : _rig.Namespace.Run("sysctl", "-n", "net.ipv4.tcp_congestion_control").StandardOutput.Trim())}";
    }

    public void Dispose()
    {
        _rig.Namespace.Run("nft", "delete", "table", "inet", "rxtloss");
        _rig.Namespace.Run("nft", "delete", "table", "netdev", "rxtloss");
    }
}

/// <summary>
/// tshark, run as nobody: as root it warns on stderr ("Running as user root…"), and the check
/// wants stderr empty so that an unknown preference (which tshark reports there and then
/// ignores) cannot pass unnoticed.
/// </summary>
internal static class Tshark
{
    private static readonly Lazy<string> Home = new(() =>
    {
        Interop.EnsureTool("tshark", "tshark");
        var home = Directory.CreateTempSubdirectory("rxt-tshark-home-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        return home;
    });

    public static Reactive.Tcp.Linux.CommandResult Run(string pcap, params string[] arguments)
    {
        // The capture's directory was made for root alone; nobody needs to read the file.
        var readable = Path.Combine(Home.Value, Path.GetFileName(pcap));
        File.Copy(pcap, readable, overwrite: true);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(readable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var info = new ProcessStartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "env", $"HOME={Home.Value}", $"XDG_CONFIG_HOME={Home.Value}/.config",
            "tshark", "-r", readable, .. arguments])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return new Reactive.Tcp.Linux.CommandResult(string.Join(' ', info.ArgumentList), process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>The values of <paramref name="fields"/> in each packet matching <paramref name="filter"/>.</summary>
    public static List<string[]> Fields(string pcap, string filter, params string[] fields)
    {
        var result = Run(pcap, ["-Y", filter, "-T", "fields", .. fields.SelectMany(f => new[] { "-e", f })]);
        if (!result.Succeeded || result.StandardError.Length > 0) throw new InvalidOperationException(result.ToString());
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
    }

    public static int Count(string pcap, string filter, params string[] options)
    {
        var result = Run(pcap, [.. options, "-Y", filter, "-T", "fields", "-e", "frame.number"]);
        if (!result.Succeeded || result.StandardError.Length > 0) throw new InvalidOperationException(result.ToString());
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }
}
