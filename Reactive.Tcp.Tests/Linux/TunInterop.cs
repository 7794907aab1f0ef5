using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Reactive.Tcp.Links;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Diagnostics;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// One interop rig: a fresh network namespace, a TUN device created inside it and configured as
/// kernel 192.0.2.1 ⟷ stack 192.0.2.2, and a <see cref="TcpStack"/> on it running in real time on an
/// <see cref="RealTimeScheduler"/> (an event loop). Everything is torn down on Dispose, also after a failed start.
/// </summary>
internal sealed class TunInterop : IDisposable
{
    public static readonly IPv4Address KernelAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address StackAddress = IPv4Address.Parse("192.0.2.2");
    public const string DeviceName = "rxt0";

    private NamespaceProcess? _capture;

    /// <param name="tcp">TCP settings of the stack.</param>
    /// <param name="mtu">MTU of the device and the stack.</param>
    /// <param name="pcap">When given, the stack's link is recorded to it (both directions, as the stack sees them).</param>
    /// <param name="offload">Open the device with the virtio header and checksum/TSO4 offload (<see cref="TunLinkOptions.Offload"/>).</param>
    /// <param name="path">When given, wraps the TUN link before the stack (and the pcap) see it: what the path between them does.</param>
    public TunInterop(TcpConfig? tcp = null, int mtu = 1500, PcapWriter? pcap = null, bool offload = false, Func<ILink, ILink>? path = null)
    {
        try
        {
            Namespace = NetworkNamespace.Create();
            Link = Namespace.OpenTun(new TunLinkOptions { Name = DeviceName, Mtu = mtu, KernelAddress = KernelAddress, StackAddress = StackAddress, Offload = offload });
            Scheduler = new RealTimeScheduler();
            ILink link = path is null ? Link : path(Link);
            if (pcap is not null) link = link.WithPcap(pcap, Scheduler);
            Stack = new TcpStack(link, new TcpStackOptions { Address = StackAddress, Tcp = (tcp ?? TcpConfig.Default) with { Mtu = mtu } }, Scheduler);
            // RXTCP_PCAP_DIR=/some/dir keeps a capture of each rig for diagnosis.
            if (Environment.GetEnvironmentVariable("RXTCP_PCAP_DIR") is { Length: > 0 } dir && File.Exists("/usr/bin/tcpdump"))
            {
                Directory.CreateDirectory(dir);
                PcapPath = System.IO.Path.Combine(dir, $"{Namespace.Name}.pcap");
                _capture = Namespace.Start("tcpdump", "-i", DeviceName, "-s", "128", "-B", "65536", "-U", "--immediate-mode", "-w", PcapPath);
                Thread.Sleep(500);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkNamespace Namespace { get; } = null!;
    public TunLink Link { get; } = null!;
    public RealTimeScheduler Scheduler { get; } = null!;
    public TcpStack Stack { get; } = null!;
    public string? PcapPath { get; }

    /// <summary>A kernel TCP socket belonging to the namespace (created on a thread that entered it).</summary>
    public Socket KernelSocket() => Namespace.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = false });

    public static IPEndPoint Endpoint(IPv4Address address, int port) => new(IPAddress.Parse(address.ToString()), port);

    /// <summary>Counters of the link and the stack, for failure messages and the test log.</summary>
    public string Diagnostics() =>
        $"link: rx {Link?.PacketsReceived} pkts/{Link?.BytesReceived} B, tx {Link?.PacketsSent} pkts/{Link?.BytesSent} B, " +
        $"skipped non-IPv4 {Link?.SkippedNonIPv4}, read errors {Link?.ReadErrors}, write errors {Link?.WriteErrors}, delivery faults {Link?.DeliveryFaults}; " +
        $"stack: {Stack?.Counters}; drops: {Stack?.Drops}; connections {Stack?.ConnectionCount}; pipeline error {Stack?.PipelineError?.Message ?? "none"}";

    /// <summary>Waits up to <paramref name="timeout"/> for the port to accept kernel connections inside the namespace.</summary>
    public void WaitForKernelPort(int port, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var probe = KernelSocket();
            try
            {
                probe.Connect(Endpoint(KernelAddress, port));
                return;
            }
            catch (SocketException) when (watch.Elapsed < timeout)
            {
                Thread.Sleep(100);
            }
        }
    }

    public void Dispose()
    {
        // The capture ends first: once the device is gone, tcpdump loses what it has not written yet.
        _capture?.Dispose();
        Stack?.Dispose();
        Link?.Dispose();
        Scheduler?.Dispose();
        Namespace?.Dispose();
    }
}

/// <summary>Helpers shared by the interop tests.</summary>
internal static class Interop
{
    public static byte[] RandomBytes(int length, int seed)
    {
        var data = GC.AllocateUninitializedArray<byte>(length);
        new Random(seed).NextBytes(data);
        return data;
    }

    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data));

    /// <summary>Waits for <paramref name="task"/>, failing with the rig's counters when it takes longer than <paramref name="timeout"/>.</summary>
    public static async Task<T> Within<T>(this Task<T> task, TimeSpan timeout, TunInterop rig, string what)
    {
        var winner = await Task.WhenAny(task, Task.Delay(timeout));
        if (winner != task) throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds:0} s. {rig.Diagnostics()}");
        return await task;
    }

    public static async Task Within(this Task task, TimeSpan timeout, TunInterop rig, string what)
    {
        var winner = await Task.WhenAny(task, Task.Delay(timeout));
        if (winner != task) throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds:0} s. {rig.Diagnostics()}");
        await task;
    }

    /// <summary>Makes sure a command-line tool exists, installing its Debian package when it does not.</summary>
    public static void EnsureTool(string tool, string package)
    {
        if (File.Exists($"/usr/bin/{tool}") || File.Exists($"/bin/{tool}") || File.Exists($"/usr/sbin/{tool}")) return;
        var install = Process.Start(new ProcessStartInfo("sh", ["-c", $"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package} || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package})"])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = install.StandardOutput.ReadToEndAsync();
        var error = install.StandardError.ReadToEnd();
        install.WaitForExit();
        if (install.ExitCode != 0) throw new InvalidOperationException($"{tool} is missing and `apt-get install {package}` failed: {error} {output.Result}");
    }

    public static string Rate(long bytes, TimeSpan elapsed) =>
        $"{bytes / 1048576.0:0.#} MiB in {elapsed.TotalSeconds:0.00} s = {bytes * 8 / elapsed.TotalSeconds / 1e6:0.#} Mbit/s";
}
