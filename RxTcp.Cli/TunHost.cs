using Reactive.Tcp.Links;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Cli;

/// <summary>How <c>serve</c> and <c>fetch</c> attach a stack to the kernel.</summary>
public sealed record TunSettings
{
    /// <summary>The TUN device to create (or attach to).</summary>
    public string Device { get; init; } = "rxt0";

    /// <summary>The stack's own address (the kernel's point-to-point peer).</summary>
    public IPv4Address StackAddress { get; init; }

    /// <summary>The address the kernel gets on the device.</summary>
    public IPv4Address KernelAddress { get; init; }

    /// <summary>MTU of the device and the stack (MSS = MTU − 40).</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>Record everything the stack reads and writes to this pcap file.</summary>
    public string? PcapPath { get; init; }

    /// <summary>Enter this named network namespace (<c>ip netns add</c>) before creating the device.</summary>
    public string? Namespace { get; init; }

    /// <summary>Open the device with the virtio header and checksum/TSO4 offload (<see cref="TunLinkOptions.Offload"/>).</summary>
    public bool Offload { get; init; }

    /// <summary>TCP settings of the stack; its MTU is replaced by <see cref="Mtu"/>. Null: <see cref="TcpConfig.Default"/>.</summary>
    public TcpConfig? Tcp { get; init; }

    /// <summary>Allow a device in the machine's initial network namespace (off: its packets could leave the machine).</summary>
    public bool AllowInitialNamespace { get; init; }
}

/// <summary>
/// A <see cref="TcpStack"/> on a Linux TUN device, configured for the kernel as a point-to-point
/// link, optionally recorded to a pcap file, running on its own event loop. Disposing stops the
/// stack and closes the device, which removes it.
/// </summary>
public sealed class TunHost : IDisposable
{
    private readonly StackLoop _loop;
    private readonly TunLink _tun;
    private readonly ILink _link;
    private readonly PcapWriter? _pcap;
    private readonly IDisposable? _pcapFlush;
    private readonly IDisposable _linkWatch;
    private readonly CancellationTokenSource _failed = new();
    private int _disposed;

    private TunHost(TunSettings settings, StackLoop loop, TunLink tun, ILink link, PcapWriter? pcap)
    {
        Settings = settings;
        _loop = loop;
        _tun = tun;
        _link = link;
        _pcap = pcap;
        var tcp = (settings.Tcp ?? TcpConfig.Default) with { Mtu = settings.Mtu };
        // With offload the kernel cuts what we send, too: let new data leave in 64 KiB super-segments.
        if (settings.Offload && tcp.SendOffloadSize == 0) tcp = tcp with { SendOffloadSize = 65535 };
        Stack = new TcpStack(link, new TcpStackOptions { Address = settings.StackAddress, Tcp = tcp }, loop);
        // A capture that is read while the command runs (tshark -r, tail) should be at most a second behind.
        if (pcap is not null)
            _pcapFlush = System.Reactive.Linq.Observable.Interval(TimeSpan.FromSeconds(1), loop).Subscribe(_ => pcap.Flush());
        // The device can vanish under us (its namespace deleted); then there is nothing left to serve.
        _linkWatch = tun.Inbound.Subscribe(_ => { }, e =>
        {
            LinkError = e;
            _failed.Cancel();
        });
    }

    /// <summary>Cancelled when the device fails (it was removed, or reading it keeps failing).</summary>
    public CancellationToken LinkFailed => _failed.Token;

    /// <summary>Why the device failed, once it has.</summary>
    public Exception? LinkError { get; private set; }

    /// <summary>The settings the host was opened with.</summary>
    public TunSettings Settings { get; }

    /// <summary>The stack.</summary>
    public TcpStack Stack { get; }

    /// <summary>The TUN device under the stack (counters, name).</summary>
    public TunLink Tun => _tun;

    /// <summary>Packets written to the pcap file so far (0 without one).</summary>
    public long PcapPackets => _pcap?.PacketCount ?? 0;

    /// <summary>
    /// Opens the device as <see cref="Open"/> does; on failure writes one line to stderr, prefixed
    /// with <paramref name="command"/> (for example <c>rxtcp serve</c>), and returns false.
    /// </summary>
    public static bool TryOpen(TunSettings settings, string command, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TunHost? host)
    {
        try
        {
            host = Open(settings);
            return true;
        }
        catch (Exception e) when (e is TunException or IOException or ArgumentException)
        {
            Console.Error.WriteLine($"{command}: {ServeCommand.OneLine(e.Message)}");
            host = null;
            return false;
        }
    }

    /// <summary>
    /// Creates and configures the device (inside <see cref="TunSettings.Namespace"/> when given),
    /// opens the capture and starts the stack.
    /// </summary>
    /// <exception cref="TunException">The device or the namespace cannot be set up; the message says why.</exception>
    /// <exception cref="IOException">The pcap file cannot be created.</exception>
    public static TunHost Open(TunSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!OperatingSystem.IsLinux()) throw new TunException("TUN devices need Linux.");
        if (!Environment.IsPrivilegedProcess)
            throw new TunException("Creating a TUN device needs root (CAP_NET_ADMIN): run with sudo, inside a network namespace (ip netns add rxt; ip netns exec rxt rxtcp ...), or pass --netns.");

        if (settings.Namespace is null && !settings.AllowInitialNamespace && !NetworkNamespace.CurrentThreadIsIsolated())
            throw new TunException("Refusing to create a TUN device in the machine's initial network namespace, where its packets could leave the machine: "
                + "pass --netns NS (after 'ip netns add NS') or run under 'ip netns exec NS'.");

        var options = new TunLinkOptions
        {
            Name = settings.Device,
            Mtu = settings.Mtu,
            KernelAddress = settings.KernelAddress,
            StackAddress = settings.StackAddress,
            AllowInitialNamespace = settings.AllowInitialNamespace,
            Offload = settings.Offload,
        };
        PcapWriter? pcap = null;
        TunLink? tun = null;
        var loop = new StackLoop();
        try
        {
            if (settings.PcapPath is { } path)
            {
                try
                {
                    pcap = new PcapWriter(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new IOException($"cannot create the pcap file '{path}': {e.Message}", e);
                }
            }
            if (settings.Namespace is { } name)
            {
                using var ns = NetworkNamespace.Attach(name);
                tun = ns.OpenTun(options);
            }
            else
            {
                tun = new TunLink(options);
            }
            ILink link = pcap is null ? tun : tun.WithPcap(pcap, loop);
            return new TunHost(settings, loop, tun, link, pcap);
        }
        catch
        {
            tun?.Dispose();
            pcap?.Dispose();
            loop.Dispose();
            throw;
        }
    }

    /// <summary>A one-line description of the link for status messages.</summary>
    public string Describe() =>
        $"device {_tun.Name}{(Settings.Namespace is { } ns ? $" in netns {ns}" : "")}, kernel side {Settings.KernelAddress}, stack {Settings.StackAddress}, MTU {Settings.Mtu}{(Settings.Offload ? ", checksum/TSO4 offload" : "")}"
        + (Settings.PcapPath is { } p ? $", recording to {p}" : "");

    /// <summary>Stops the stack, removes the device and closes the capture.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _pcapFlush?.Dispose();
        _linkWatch.Dispose();
        Stack.Dispose();
        _link.Dispose(); // the pcap link disposes the TUN link under it
        _tun.Dispose();
        _pcap?.Dispose();
        _loop.Dispose();
    }
}
