using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text;
using Reactive.Tcp.Links;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Reactive.Tcp.Linux;

/// <summary>
/// An <see cref="ILink"/> over a Linux TUN device (<c>IFF_TUN | IFF_NO_PI</c>: raw IP packets, no
/// link header). A dedicated reader thread waits in <c>poll()</c> and delivers each IPv4 packet on
/// <see cref="Inbound"/> from that thread; other packets (IPv6) are skipped and counted.
/// <see cref="Send(ReadOnlyMemory{byte})"/> writes one packet per <c>write()</c> and may be called from any thread.
/// Disposing stops the reader and closes the descriptor, which removes a device this link created.
/// With <see cref="TunLinkOptions.Offload"/> every packet carries a virtio header on the device
/// (<c>IFF_VNET_HDR</c>), which the link strips on reading (completing partial checksums, see
/// <c>VirtioNetHeader</c>) and adds, all zeros, on writing; <see cref="Inbound"/> may then deliver
/// TCP segments far larger than <see cref="Mtu"/>, up to 64 KiB.
/// </summary>
/// <remarks>
/// The device is created in the network namespace of the thread that constructs the link; use
/// <see cref="NetworkNamespace.OpenTun"/> to open one inside a namespace from any process.
/// </remarks>
public sealed unsafe class TunLink : ILink
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly FileDescriptorHandle _tun;
    private readonly FileDescriptorHandle _wake;
    private readonly Subject<ReadOnlyMemory<byte>> _inbound = new();
    private readonly Thread _reader;
    private long _packetsReceived, _bytesReceived, _packetsSent, _bytesSent;
    private long _skippedNonIPv4, _readErrors, _writeErrors, _deliveryFaults;
    private long _superSegmentsReceived, _superSegmentsSent, _malformedOffloadHeaders;
    private int _disposed;

    /// <summary>
    /// Opens <c>/dev/net/tun</c>, creates (or attaches to) the device and, when both addresses are
    /// given, configures it; then starts reading.
    /// </summary>
    /// <exception cref="TunException">The device cannot be opened or configured; the message says why and what to do.</exception>
    public TunLink(TunLinkOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Validate(options);
        if (!options.AllowInitialNamespace && !NamespaceGuard.SafeToCreateDevice())
            throw new TunException(
                "Refusing to create a TUN device in the machine's initial network namespace (or one that cannot be told apart from it), where its packets could leave the machine. " +
                "Run inside a network namespace (ip netns add rxt-x; ip netns exec rxt-x ...), or open it through NetworkNamespace.OpenTun.");

        _tun = OpenDevice(options, out var name);
        try
        {
            Name = name;
            int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (wake < 0)
            {
                int error = errno;
                throw new TunException($"eventfd failed: {Errno.Describe(error)}.", error);
            }
            _wake = new FileDescriptorHandle(wake);
            if (options.KernelAddress is not null) Configure(options);
        }
        catch
        {
            _wake?.Dispose();
            _tun.Dispose();
            throw;
        }

        Inbound = _inbound.AsObservable();
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"tun {Name}" };
        _reader.Start();
    }

    /// <summary>The options the link was opened with.</summary>
    public TunLinkOptions Options { get; }

    /// <summary>The device name the kernel assigned (the requested one, or <c>tunN</c>).</summary>
    public string Name { get; }

    /// <inheritdoc />
    public int Mtu => Options.Mtu;

    /// <summary>IPv4 packets read from the device, delivered on the reader thread; memory valid only during <c>OnNext</c>.</summary>
    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <summary>IPv4 packets read from the device.</summary>
    public long PacketsReceived => Interlocked.Read(ref _packetsReceived);

    /// <summary>Bytes of the IPv4 packets read from the device.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Packets written to the device.</summary>
    public long PacketsSent => Interlocked.Read(ref _packetsSent);

    /// <summary>Bytes written to the device.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Packets read that were not IPv4 (IPv6 router solicitations and the like), dropped.</summary>
    public long SkippedNonIPv4 => Interlocked.Read(ref _skippedNonIPv4);

    /// <summary>Failed reads (other than "nothing to read").</summary>
    public long ReadErrors => Interlocked.Read(ref _readErrors);

    /// <summary>Packets that could not be written (device down, link disposed, short write).</summary>
    public long WriteErrors => Interlocked.Read(ref _writeErrors);

    /// <summary>Packets read that were TCP super-segments (larger than the MTU), with <see cref="TunLinkOptions.Offload"/> on.</summary>
    public long SuperSegmentsReceived => Interlocked.Read(ref _superSegmentsReceived);

    /// <summary>TCP super-segments written for the kernel to cut up (a stack with <see cref="Reactive.Tcp.Tcp.TcpConfig.SendOffloadSize"/> on this link).</summary>
    public long SuperSegmentsSent => Interlocked.Read(ref _superSegmentsSent);

    /// <summary>Frames dropped because their virtio header did not fit the packet or asked for an offload we did not offer.</summary>
    public long MalformedOffloadHeaders => Interlocked.Read(ref _malformedOffloadHeaders);

    /// <summary>Exceptions thrown by <see cref="Inbound"/>'s observers, caught so the reader keeps running.</summary>
    public long DeliveryFaults => Interlocked.Read(ref _deliveryFaults);

    /// <summary>
    /// Writes one IPv4 packet to the device (the kernel receives it). Never throws for I/O
    /// failures: they are counted in <see cref="WriteErrors"/>, as a lost packet on a real wire.
    /// </summary>
    public void Send(ReadOnlyMemory<byte> packet)
    {
        if (packet.IsEmpty) return;
        bool added = false;
        try
        {
            // Holding a reference keeps Dispose from closing (and the fd number from being reused) mid-write.
            _tun.DangerousAddRef(ref added);
            if (Options.Offload ? WriteWithHeader(_tun.Fd, packet) : WritePacket(_tun.Fd, packet.Span))
            {
                Interlocked.Increment(ref _packetsSent);
                Interlocked.Add(ref _bytesSent, packet.Length);
            }
            else
            {
                Interlocked.Increment(ref _writeErrors);
            }
        }
        catch (ObjectDisposedException)
        {
            Interlocked.Increment(ref _writeErrors);
        }
        finally
        {
            if (added) _tun.DangerousRelease();
        }
    }

    /// <summary>Writes a pooled packet like <see cref="Send(ReadOnlyMemory{byte})"/>, then releases it (the write has copied it into the kernel).</summary>
    public void Send(Reactive.Tcp.Wire.PooledPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        try
        {
            Send(packet.Memory);
        }
        finally
        {
            packet.Release();
        }
    }

    /// <summary>Stops the reader thread, completes <see cref="Inbound"/> and closes the device.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        ulong one = 1;
        _ = write(_wake.Fd, &one, sizeof(ulong));
        if (Thread.CurrentThread != _reader) _reader.Join();
        _tun.Dispose();
        _wake.Dispose();
        _inbound.OnCompleted();
    }

    /// <inheritdoc />
    public override string ToString() => $"tun {Name} (mtu {Mtu})";

    private static void Validate(TunLinkOptions options)
    {
        if (options.Name is null || Encoding.ASCII.GetByteCount(options.Name) >= TunConstants.IFNAMSIZ || options.Name.Any(c => c is '/' or ' ' or '\0' || c > 127))
            throw new ArgumentException($"Device name '{options.Name}' must be ASCII, at most {TunConstants.IFNAMSIZ - 1} characters, without '/' or spaces.", nameof(options));
        if (options.Mtu is < 576 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(options), options.Mtu, "MTU must be between 576 and 65535.");
        if ((options.KernelAddress is null) != (options.StackAddress is null))
            throw new ArgumentException("KernelAddress and StackAddress configure the device together: set both or neither.", nameof(options));
        if (options.KernelAddress is { } k && options.StackAddress is { } s && k == s)
            throw new ArgumentException("KernelAddress and StackAddress must differ.", nameof(options));
    }

    private static FileDescriptorHandle OpenDevice(TunLinkOptions options, out string name) =>
        TunTapDevice.Open(TunTapDevice.Kind.Tun, options.Name, options.MultiQueue, options.Offload, out name);

    /// <summary>
    /// The recipe from the design notes, run as child processes forked from this thread so they act
    /// on this thread's network namespace. IPv6 goes off before the link comes up, so the kernel
    /// never starts router solicitations on it.
    /// </summary>
    private void Configure(TunLinkOptions options)
    {
        var kernel = options.KernelAddress!.Value.ToString();
        var stack = options.StackAddress!.Value.ToString();
        ChildProcess.Run(["ip", "addr", "add", kernel, "peer", stack, "dev", Name], CommandTimeout).EnsureSuccess();
        // Not fatal: a kernel booted with ipv6.disable=1 has no such sysctl, and then no IPv6 arrives anyway.
        ChildProcess.Run(["sysctl", "-qw", $"net.ipv6.conf.{Name}.disable_ipv6=1"], CommandTimeout);
        ChildProcess.Run(["ip", "link", "set", Name, "mtu", options.Mtu.ToString(), "up"], CommandTimeout).EnsureSuccess();
    }

    private static bool WritePacket(int fd, ReadOnlySpan<byte> packet) => TunTapDevice.Write(fd, packet);

    /// <summary>
    /// Writes one packet behind its virtio header, gathered by one <c>writev</c>: all zeros for a
    /// packet that fits the MTU (its checksums are complete), or, for a TCP super-segment from a
    /// stack with <see cref="Reactive.Tcp.Tcp.TcpConfig.SendOffloadSize"/>, a header that has the
    /// kernel cut it into MTU-sized segments. The packet is ours (see <see cref="ILink"/>), so its
    /// checksum field may be rewritten in place.
    /// </summary>
    private bool WriteWithHeader(int fd, ReadOnlyMemory<byte> memory)
    {
        var header = stackalloc byte[VirtioNetHeader.Size];
        var headerSpan = new Span<byte>(header, VirtioNetHeader.Size);
        VirtioNetHeader.WritePlain(headerSpan);
        if (memory.Length > Mtu)
        {
            if (!VirtioNetHeader.TryWriteSuperSegment(headerSpan, System.Runtime.InteropServices.MemoryMarshal.AsMemory(memory).Span, Mtu)) return false;
            Interlocked.Increment(ref _superSegmentsSent);
        }
        return TunTapDevice.WriteGathered(fd, headerSpan, memory.Span);
    }

    /// <summary>
    /// With <see cref="TunLinkOptions.Offload"/>, strips the virtio header from a frame just read
    /// (completing a partial checksum in place) and counts what it was; false when the frame is dropped.
    /// </summary>
    private bool UnwrapOffloaded(Span<byte> frame)
    {
        switch (VirtioNetHeader.TryUnwrap(frame))
        {
            case VirtioNetHeader.Outcome.SuperSegment:
                Interlocked.Increment(ref _superSegmentsReceived);
                return true;
            case VirtioNetHeader.Outcome.Plain:
                return true;
            default:
                Interlocked.Increment(ref _malformedOffloadHeaders);
                return false;
        }
    }

    private void ReadLoop()
    {
        // Big enough for any IPv4 packet, whatever the MTU says, so nothing is ever truncated.
        var buffer = GC.AllocateUninitializedArray<byte>(65536 + VirtioNetHeader.Size, pinned: true);
        int skip = Options.Offload ? VirtioNetHeader.Size : 0;
        var fds = stackalloc pollfd[2];
        int consecutiveErrors = 0;
        fixed (byte* data = buffer)
        {
            while (true)
            {
                fds[0] = new pollfd { fd = _tun.Fd, events = (short)POLLIN };
                fds[1] = new pollfd { fd = _wake.Fd, events = (short)POLLIN };
                int ready = poll(fds, 2, -1);
                if (ready < 0)
                {
                    if (errno == EINTR) continue;
                    Interlocked.Increment(ref _readErrors);
                    return;
                }
                if (fds[1].revents != 0) return;
                if ((fds[0].revents & POLLNVAL) != 0) return;

                // Drain what is queued, but look at the wake-up descriptor now and then.
                for (int i = 0; i < 256; i++)
                {
                    long n = read(_tun.Fd, data, buffer.Length);
                    if (n < 0)
                    {
                        int error = errno;
                        if (error == EINTR) continue;
                        if (error == EAGAIN || error == EWOULDBLOCK) break;
                        Interlocked.Increment(ref _readErrors);
                        // A device that went away keeps failing; stop rather than spin.
                        if (++consecutiveErrors >= 100)
                        {
                            _inbound.OnError(new TunException($"Reading TUN device '{Name}' keeps failing ({Errno.Describe(error)}); the device is gone."));
                            return;
                        }
                        Thread.Sleep(10);
                        break;
                    }
                    consecutiveErrors = 0;
                    if (n == 0) break;
                    if (skip != 0 && !UnwrapOffloaded(new Span<byte>(data, (int)n))) continue;
                    n -= skip;
                    if (n == 0 || (data[skip] >> 4) != 4)
                    {
                        Interlocked.Increment(ref _skippedNonIPv4);
                        continue;
                    }
                    Interlocked.Increment(ref _packetsReceived);
                    Interlocked.Add(ref _bytesReceived, n);
                    try
                    {
                        _inbound.OnNext(new ReadOnlyMemory<byte>(buffer, skip, (int)n));
                    }
                    catch (Exception)
                    {
                        // The link must outlive a faulty observer, as a wire outlives a faulty host.
                        Interlocked.Increment(ref _deliveryFaults);
                    }
                }
            }
        }
    }
}
