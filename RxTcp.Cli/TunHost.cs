using Reactive.Tcp.Links;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Diagnostics;

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

    /// <summary>Length of the device's queue towards the stack, in packets (<see cref="TunLinkOptions.TxQueueLength"/>); null: the kernel's 500.</summary>
    public int? TxQueueLength { get; init; } = DefaultTxQueueLength;

    /// <summary>
    /// Queues of the device (<c>IFF_MULTI_QUEUE</c> when more than one): each gets its own reader,
    /// writer, event loop and complete <see cref="TcpStack"/> at the same address.
    /// </summary>
    public int Queues { get; init; } = 1;

    /// <summary>Write through the link's writer thread (<see cref="TunLinkOptions.WriterThread"/>).</summary>
    public bool WriterThread { get; init; } = true;

    /// <summary>The queue length serve and fetch set unless told otherwise.</summary>
    public const int DefaultTxQueueLength = 4096;

    /// <summary>TCP settings of the stack; its MTU is replaced by <see cref="Mtu"/>. Null: <see cref="TcpConfig.Default"/>.</summary>
    public TcpConfig? Tcp { get; init; }

    /// <summary>Allow a device in the machine's initial network namespace (off: its packets could leave the machine).</summary>
    public bool AllowInitialNamespace { get; init; }
}

/// <summary>
/// A <see cref="TcpStack"/> on a Linux TUN device, configured for the kernel as a point-to-point
/// link, optionally recorded to a pcap file, running on its own event loop. With several queues,
/// one stack per queue, each on its own event loop, all at the same address (<see cref="Stacks"/>).
/// Disposing stops the stacks and closes the device, which removes it.
/// </summary>
public sealed class TunHost : IDisposable
{
    private readonly StackLoop[] _loops;
    private readonly TunLink[] _tuns;
    private readonly ILink[] _links;
    private readonly PcapWriter? _pcap;
    private readonly IDisposable? _pcapFlush;
    private readonly IDisposable[] _linkWatches;
    private readonly CancellationTokenSource _failed = new();
    private int _disposed;

    private TunHost(TunSettings settings, StackLoop[] loops, TunLink[] tuns, ILink[] links, PcapWriter? pcap)
    {
        Settings = settings;
        _loops = loops;
        _tuns = tuns;
        _links = links;
        _pcap = pcap;
        var tcp = (settings.Tcp ?? TcpConfig.Default) with { Mtu = settings.Mtu };
        // With offload the kernel cuts what we send, too: let new data leave in 64 KiB super-segments.
        if (settings.Offload && tcp.SendOffloadSize == 0) tcp = tcp with { SendOffloadSize = 65535 };
        Stacks = links.Select((link, i) => new TcpStack(link, new TcpStackOptions { Address = settings.StackAddress, Tcp = tcp }, loops[i])).ToArray();
        // A capture that is read while the command runs (tshark -r, tail) should be at most a second behind.
        if (pcap is not null)
            _pcapFlush = System.Reactive.Linq.Observable.Interval(TimeSpan.FromSeconds(1), loops[0]).Subscribe(_ => pcap.Flush());
        // The device can vanish under us (its namespace deleted); then there is nothing left to serve.
        _linkWatches = tuns.Select(tun => tun.Inbound.Subscribe(_ => { }, e =>
        {
            LinkError = e;
            _failed.Cancel();
        })).ToArray();
    }

    /// <summary>Cancelled when the device fails (it was removed, or reading it keeps failing).</summary>
    public CancellationToken LinkFailed => _failed.Token;

    /// <summary>Why the device failed, once it has.</summary>
    public Exception? LinkError { get; private set; }

    /// <summary>The settings the host was opened with.</summary>
    public TunSettings Settings { get; }

    /// <summary>The stack (of the first queue, when there are several).</summary>
    public TcpStack Stack => Stacks[0];

    /// <summary>One stack per queue of the device, all at <see cref="TunSettings.StackAddress"/>.</summary>
    public IReadOnlyList<TcpStack> Stacks { get; }

    /// <summary>The TUN device under the stack (counters, name); its first queue when there are several.</summary>
    public TunLink Tun => _tuns[0];

    /// <summary>One link per queue of the device.</summary>
    public IReadOnlyList<TunLink> Tuns => _tuns;

    /// <summary>Packets written to the pcap file so far (0 without one).</summary>
    public long PcapPackets => _pcap?.PacketCount ?? 0;

    /// <summary>
    /// Queue and write counters of the device (the kernel's drops) and of the links (writes that
    /// failed or found the writer's queue full), for status lines.
    /// </summary>
    public string DescribeDrops()
    {
        var device = Tun.ReadDeviceCounters();
        long writeErrors = _tuns.Sum(t => t.WriteErrors), queueDrops = _tuns.Sum(t => t.WriteQueueDrops);
        long sent = _tuns.Sum(t => t.PacketsSent), batches = _tuns.Sum(t => t.WriteBatches);
        return (device is null ? "device counters unavailable" : device.ToString())
            + string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; link: {writeErrors} write errors, {queueDrops} dropped at the writer's queue")
            + (batches > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", {sent} packets written in {batches} batches") : "");
    }

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

        if (settings.Queues < 1) throw new ArgumentException("A device needs at least one queue.", nameof(settings));
        var options = new TunLinkOptions
        {
            Name = settings.Device,
            Mtu = settings.Mtu,
            KernelAddress = settings.KernelAddress,
            StackAddress = settings.StackAddress,
            AllowInitialNamespace = settings.AllowInitialNamespace,
            Offload = settings.Offload,
            TxQueueLength = settings.TxQueueLength,
            WriterThread = settings.WriterThread,
        };
        PcapWriter? pcap = null;
        IReadOnlyList<TunLink> tuns = [];
        var loops = Enumerable.Range(0, settings.Queues).Select(i => new StackLoop(settings.Queues == 1 ? "rxtcp stack" : $"rxtcp stack q{i}")).ToArray();
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
            // One queue: a plain device, as before; more: a multi-queue device, one link per queue.
            if (settings.Namespace is { } name)
            {
                using var ns = NetworkNamespace.Attach(name);
                tuns = settings.Queues == 1 ? [ns.OpenTun(options)] : ns.OpenTunQueues(options, settings.Queues);
            }
            else
            {
                tuns = settings.Queues == 1 ? [new TunLink(options)] : TunLink.OpenQueues(options, settings.Queues);
            }
            var links = tuns.Select((tun, i) => pcap is null ? (ILink)tun : tun.WithPcap(pcap, loops[i])).ToArray();
            return new TunHost(settings, loops, tuns.ToArray(), links, pcap);
        }
        catch
        {
            foreach (var tun in tuns) tun.Dispose();
            pcap?.Dispose();
            foreach (var loop in loops) loop.Dispose();
            throw;
        }
    }

    /// <summary>A one-line description of the link for status messages.</summary>
    public string Describe() =>
        $"device {Tun.Name}{(Settings.Namespace is { } ns ? $" in netns {ns}" : "")}, kernel side {Settings.KernelAddress}, stack {Settings.StackAddress}, MTU {Settings.Mtu}"
        + (Settings.TxQueueLength is { } q ? $", txqueuelen {q}" : "")
        + (Settings.Queues > 1 ? $", {Settings.Queues} queues with a stack each" : "")
        + (Settings.Offload ? ", checksum/TSO4 offload" : "")
        + (Settings.PcapPath is { } p ? $", recording to {p}" : "");

    /// <summary>Stops the stacks, removes the device and closes the capture.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _pcapFlush?.Dispose();
        foreach (var watch in _linkWatches) watch.Dispose();
        // The readers stop first: a stack's Dispose takes its pipeline's lock, which a reader
        // delivering a flood of packets would otherwise take again and again before it.
        foreach (var tun in _tuns) tun.Dispose();
        foreach (var stack in Stacks) stack.Dispose();
        foreach (var link in _links) link.Dispose(); // a pcap link disposes the TUN link under it (again: harmless)
        _pcap?.Dispose();
        foreach (var loop in _loops) loop.Dispose();
    }
}
