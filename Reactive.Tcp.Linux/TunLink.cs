using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text;
using Reactive.Tcp.Links;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Reactive.Tcp.Linux;

/// <summary>
/// An <see cref="ILink"/> over a Linux TUN device (<c>IFF_TUN | IFF_NO_PI</c>: raw IP packets, no
/// link header). A dedicated reader thread waits in <c>poll()</c>, then reads every packet that is
/// ready (non-blocking reads until there are none) and delivers each IPv4 packet on
/// <see cref="Inbound"/> from that thread, with no hop in between; other packets (IPv6) are skipped
/// and counted. <see cref="Send(ReadOnlyMemory{byte})"/> may be called from any thread: with
/// <see cref="TunLinkOptions.WriterThread"/> (the default) it queues the packet for the link's
/// writer thread, which writes whatever has gathered in one loop, in the order sent, and the
/// packets sent while the reader delivers a drained batch wake it once; without, it writes the
/// packet itself.
/// Disposing stops the reader, writes out what is queued and closes the descriptor, which removes
/// a device this link created (with several queues, once the last one is closed).
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
    /// <summary>Reads whose packets' answers go to the writer together; the drain itself goes on until nothing is left.</summary>
    private const int TurnReads = 64;
    /// <summary>Bytes that may wait for the writer (beyond them packets are dropped, as at a full device queue).</summary>
    private const long WriteQueueBytes = 32L * 1024 * 1024;

    private readonly FileDescriptorHandle _tun;
    private readonly FileDescriptorHandle _wake;
    private readonly Subject<ReadOnlyMemory<byte>> _inbound = new();
    private readonly Thread _reader;
    private readonly TunWriteQueue? _writer;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _deviceStatistics;
    private int _readerThreadId;
    private bool _inTurn; // read and written by the reader thread only
    private long _packetsReceived, _bytesReceived, _packetsSent, _bytesSent;
    private long _skippedNonIPv4, _readErrors, _writeErrors, _deliveryFaults;
    private long _superSegmentsReceived, _superSegmentsSent, _malformedOffloadHeaders;
    private int _disposed;

    /// <summary>
    /// Opens <c>/dev/net/tun</c>, creates (or attaches to) the device and, when both addresses are
    /// given, configures it; then starts reading.
    /// </summary>
    /// <exception cref="TunException">The device cannot be opened or configured; the message says why and what to do.</exception>
    public TunLink(TunLinkOptions options) : this(options, queue: 0)
    {
    }

    private TunLink(TunLinkOptions options, int queue)
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
            // Opened here, on a thread in the device's namespace: the file stays bound to it.
            _deviceStatistics = TunDeviceCounters.OpenForThisNamespace();
        }
        catch
        {
            _wake?.Dispose();
            _tun.Dispose();
            throw;
        }

        Queue = queue;
        var suffix = queue > 0 || options.MultiQueue ? $" q{queue}" : "";
        Inbound = _inbound.AsObservable();
        if (options.WriterThread)
            _writer = new TunWriteQueue($"tun {Name}{suffix} writer", WriteOne, WriteQueueBytes);
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"tun {Name}{suffix}" };
        _reader.Start();
    }

    /// <summary>
    /// Opens <paramref name="queues"/> queues of one multi-queue device (<c>IFF_MULTI_QUEUE</c>),
    /// one <see cref="TunLink"/> each, each with its own descriptor, reader and writer. The first
    /// creates (and, with addresses, configures) the device; the others attach to it. The kernel
    /// hands each flow to one queue, chosen by the flow's hash and kept by the queue the flow's
    /// packets were last written to, so one stack per queue sees all of its connections' packets.
    /// </summary>
    /// <exception cref="TunException">The device cannot be created or a queue not attached.</exception>
    public static IReadOnlyList<TunLink> OpenQueues(TunLinkOptions options, int queues)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(queues, 1);
        var multi = options with { MultiQueue = true };
        var links = new List<TunLink>(queues);
        try
        {
            links.Add(new TunLink(multi, 0));
            // Attach by the name the kernel gave the first queue, without configuring again.
            var attach = multi with { Name = links[0].Name, KernelAddress = null, StackAddress = null };
            for (int i = 1; i < queues; i++) links.Add(new TunLink(attach, i));
            return links;
        }
        catch
        {
            foreach (var link in links) link.Dispose();
            throw;
        }
    }

    /// <summary>The options the link was opened with.</summary>
    public TunLinkOptions Options { get; }

    /// <summary>The device name the kernel assigned (the requested one, or <c>tunN</c>).</summary>
    public string Name { get; }

    /// <inheritdoc />
    public int Mtu => Options.Mtu;

    /// <summary>Which queue of the device this link reads and writes (0 unless opened by <see cref="OpenQueues"/>).</summary>
    public int Queue { get; }

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

    /// <summary>Packets dropped before writing because the writer's queue was full (with <see cref="TunLinkOptions.WriterThread"/>).</summary>
    public long WriteQueueDrops => _writer?.Dropped ?? 0;

    /// <summary>Times the writer thread woke and wrote what had gathered (packets written / batches = the mean batch).</summary>
    public long WriteBatches => _writer?.Batches ?? 0;

    /// <summary>
    /// The kernel's counters for the device, queue drops included (<see cref="TunDeviceCounters"/>);
    /// null when they cannot be read. Counts the whole device, all its queues.
    /// </summary>
    public TunDeviceCounters? ReadDeviceCounters() =>
        _deviceStatistics is { } handle ? TunDeviceCounters.Read(handle, Name) : null;

    /// <summary>Packets read that were TCP super-segments (larger than the MTU), with <see cref="TunLinkOptions.Offload"/> on.</summary>
    public long SuperSegmentsReceived => Interlocked.Read(ref _superSegmentsReceived);

    /// <summary>TCP super-segments written for the kernel to cut up (a stack with <see cref="Reactive.Tcp.Tcp.TcpConfig.SendOffloadSize"/> on this link).</summary>
    public long SuperSegmentsSent => Interlocked.Read(ref _superSegmentsSent);

    /// <summary>Frames dropped because their virtio header did not fit the packet or asked for an offload we did not offer.</summary>
    public long MalformedOffloadHeaders => Interlocked.Read(ref _malformedOffloadHeaders);

    /// <summary>Exceptions thrown by <see cref="Inbound"/>'s observers, caught so the reader keeps running.</summary>
    public long DeliveryFaults => Interlocked.Read(ref _deliveryFaults);

    /// <summary>
    /// Writes one IPv4 packet to the device (the kernel receives it), or with a writer thread queues
    /// it for writing. Never throws for I/O failures: they are counted in <see cref="WriteErrors"/>
    /// (and a full queue in <see cref="WriteQueueDrops"/>), as a lost packet on a real wire.
    /// </summary>
    public void Send(ReadOnlyMemory<byte> packet)
    {
        if (packet.IsEmpty) return;
        if (_writer is null) WriteOne(packet);
        else Enqueue(new TunWriteQueue.Item(packet, null));
    }

    /// <summary>Writes a pooled packet like <see cref="Send(ReadOnlyMemory{byte})"/>, then releases it (once the write has copied it into the kernel).</summary>
    public void Send(Reactive.Tcp.Wire.PooledPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (_writer is not null && !packet.Memory.IsEmpty)
        {
            Enqueue(new TunWriteQueue.Item(packet.Memory, packet));
            return;
        }
        try
        {
            Send(packet.Memory);
        }
        finally
        {
            packet.Release();
        }
    }

    /// <summary>
    /// Hands a packet to the writer, always straight into its queue, so packets leave in the order
    /// the stack sent them whichever thread sent them. While the reader delivers a batch, the
    /// packets sent from the reader thread do not wake the writer: the end of the turn does, once.
    /// </summary>
    private void Enqueue(TunWriteQueue.Item item) =>
        _writer!.Enqueue(item, wake: !(Environment.CurrentManagedThreadId == _readerThreadId && _inTurn));

    /// <summary>Writes one packet now, on the calling thread; false (and counted) when it failed.</summary>
    private bool WriteOne(ReadOnlyMemory<byte> packet)
    {
        bool added = false;
        try
        {
            // Holding a reference keeps Dispose from closing (and the fd number from being reused) mid-write.
            _tun.DangerousAddRef(ref added);
            if (Options.Offload ? WriteWithHeader(_tun.Fd, packet) : WritePacket(_tun.Fd, packet.Span))
            {
                Interlocked.Increment(ref _packetsSent);
                Interlocked.Add(ref _bytesSent, packet.Length);
                return true;
            }
            Interlocked.Increment(ref _writeErrors);
            return false;
        }
        catch (ObjectDisposedException)
        {
            Interlocked.Increment(ref _writeErrors);
            return false;
        }
        finally
        {
            if (added) _tun.DangerousRelease();
        }
    }

    /// <summary>Stops the reader thread, completes <see cref="Inbound"/> and closes the device.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        ulong one = 1;
        _ = write(_wake.Fd, &one, sizeof(ulong));
        if (Thread.CurrentThread != _reader) _reader.Join();
        // What the stack sent last (resets at shutdown) still goes out.
        _writer?.Dispose();
        _tun.Dispose();
        _wake.Dispose();
        _deviceStatistics?.Dispose();
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
        if (options.TxQueueLength is { } length)
            ChildProcess.Run(["ip", "link", "set", Name, "txqueuelen", length.ToString(System.Globalization.CultureInfo.InvariantCulture)], CommandTimeout).EnsureSuccess();
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
        _readerThreadId = Environment.CurrentManagedThreadId;
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

                // Drain: read until the device has nothing more, delivering each packet as it comes.
                // What the stack sends meanwhile from this thread goes to the writer every TurnReads reads.
                _inTurn = _writer is not null;
                int reads = 0;
                try
                {
                    while (Volatile.Read(ref _disposed) == 0)
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
                        if (++reads == TurnReads)
                        {
                            reads = 0;
                            _writer?.Wake();
                            // Between turns, let a thread that waits for the stack's lock (its event
                            // loop, a Dispose) have the processor: under a flood this loop never pauses.
                            Thread.Yield();
                        }
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
                finally
                {
                    _inTurn = false;
                    _writer?.Wake();
                }
            }
        }
    }
}
