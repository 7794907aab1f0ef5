using System.Buffers.Binary;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.InteropServices;
using System.Text;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Reactive.Tcp.Linux;

/// <summary>
/// An <see cref="IEthernetLink"/> over a Linux TAP device (<c>IFF_TAP | IFF_NO_PI</c>: Ethernet
/// frames without preamble or FCS). The kernel sits on one side of the segment with the device's
/// own address; the stack on the other with <see cref="Address"/>. A dedicated reader thread waits
/// in <c>poll()</c> and delivers every frame on <see cref="Inbound"/> from that thread (which
/// frames concern the stack is the interface's decision: ARP, IPv4, and IPv6 or anything else to
/// drop). <see cref="Send(ReadOnlyMemory{byte})"/> writes one frame per <c>write()</c> and may be
/// called from any thread. Disposing stops the reader and closes the descriptor, which removes a
/// device this link created.
/// </summary>
/// <remarks>
/// <para>With <see cref="TapLinkOptions.Offload"/> every frame carries a virtio header on the device,
/// as on a <see cref="TunLink"/> with offload: the link strips it on reading (completing partial
/// checksums) and adds it on writing, and <see cref="Inbound"/> may deliver TCP super-segments up
/// to 64 KiB in one frame. The header's offsets count from the start of the Ethernet frame.</para>
/// <para>The device is created in the network namespace of the thread that constructs the link;
/// open it from inside a namespace with <see cref="NetworkNamespace.Invoke{T}(Func{T})"/>.</para>
/// </remarks>
public sealed unsafe class TapLink : IEthernetLink
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly FileDescriptorHandle _tap;
    private readonly FileDescriptorHandle _wake;
    private readonly Subject<ReadOnlyMemory<byte>> _inbound = new();
    private readonly Thread _reader;
    private long _framesReceived, _bytesReceived, _framesSent, _bytesSent;
    private long _shortFrames, _readErrors, _writeErrors, _deliveryFaults;
    private long _superSegmentsReceived, _superSegmentsSent, _malformedOffloadHeaders;
    private int _disposed;

    /// <summary>
    /// Opens <c>/dev/net/tun</c>, creates (or attaches to) the TAP device and, when the options ask
    /// for it, configures it; then starts reading.
    /// </summary>
    /// <exception cref="TunException">The device cannot be opened or configured; the message says why and what to do.</exception>
    public TapLink(TapLinkOptions options)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Validate(options);
        if (!options.AllowInitialNamespace && !NamespaceGuard.SafeToCreateDevice())
            throw new TunException(
                "Refusing to create a TAP device in the machine's initial network namespace (or one that cannot be told apart from it), where its frames could leave the machine. " +
                "Run inside a network namespace (ip netns add rxt-x; ip netns exec rxt-x ...), or open it through NetworkNamespace.Invoke.");

        Address = options.Address ?? MacAddress.NewLocallyAdministered(Random.Shared);
        _tap = TunTapDevice.Open(TunTapDevice.Kind.Tap, options.Name, options.MultiQueue, options.Offload, out var name);
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
            if (options.KernelAddress is not null || options.Bridge is not null || options.KernelHardwareAddress is not null) Configure(options);
        }
        catch
        {
            _wake?.Dispose();
            _tap.Dispose();
            throw;
        }

        Inbound = _inbound.AsObservable();
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"tap {Name}" };
        _reader.Start();
    }

    /// <summary>The options the link was opened with.</summary>
    public TapLinkOptions Options { get; }

    /// <summary>The device name the kernel assigned (the requested one, or <c>tapN</c>).</summary>
    public string Name { get; }

    /// <summary>The stack's hardware address on this segment (given, or drawn at random and locally administered).</summary>
    public MacAddress Address { get; }

    /// <summary>The largest IP packet a frame carries; frames are up to 14 bytes longer.</summary>
    public int Mtu => Options.Mtu;

    /// <summary>Ethernet frames read from the device, delivered on the reader thread; memory valid only during <c>OnNext</c>.</summary>
    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <summary>Frames read from the device and delivered.</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);

    /// <summary>Bytes of the frames delivered.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Frames written to the device.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Bytes written to the device (virtio headers not counted).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Frames read that were shorter than an Ethernet header, dropped.</summary>
    public long ShortFrames => Interlocked.Read(ref _shortFrames);

    /// <summary>Failed reads (other than "nothing to read").</summary>
    public long ReadErrors => Interlocked.Read(ref _readErrors);

    /// <summary>Frames that could not be written (device down, link disposed, short write, or a too-long frame that is not TCP/IPv4).</summary>
    public long WriteErrors => Interlocked.Read(ref _writeErrors);

    /// <summary>Frames read that held TCP super-segments (longer than the MTU), with <see cref="TapLinkOptions.Offload"/> on.</summary>
    public long SuperSegmentsReceived => Interlocked.Read(ref _superSegmentsReceived);

    /// <summary>Frames holding TCP super-segments written for the kernel to cut up.</summary>
    public long SuperSegmentsSent => Interlocked.Read(ref _superSegmentsSent);

    /// <summary>Frames dropped because their virtio header did not fit them or asked for an offload we did not offer.</summary>
    public long MalformedOffloadHeaders => Interlocked.Read(ref _malformedOffloadHeaders);

    /// <summary>Exceptions thrown by <see cref="Inbound"/>'s observers, caught so the reader keeps running.</summary>
    public long DeliveryFaults => Interlocked.Read(ref _deliveryFaults);

    /// <summary>
    /// Writes one Ethernet frame to the device (the kernel receives it). Never throws for I/O
    /// failures: they are counted in <see cref="WriteErrors"/>, as a lost frame on a real wire.
    /// </summary>
    public void Send(ReadOnlyMemory<byte> frame)
    {
        if (frame.Length < EthernetCodec.HeaderLength)
        {
            Interlocked.Increment(ref _writeErrors);
            return;
        }
        bool added = false;
        try
        {
            // Holding a reference keeps Dispose from closing (and the fd number from being reused) mid-write.
            _tap.DangerousAddRef(ref added);
            if (Options.Offload ? WriteWithHeader(_tap.Fd, frame) : TunTapDevice.Write(_tap.Fd, frame.Span))
            {
                Interlocked.Increment(ref _framesSent);
                Interlocked.Add(ref _bytesSent, frame.Length);
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
            if (added) _tap.DangerousRelease();
        }
    }

    /// <summary>Writes a pooled frame like <see cref="Send(ReadOnlyMemory{byte})"/>, then releases it (the write has copied it into the kernel).</summary>
    public void Send(PooledPacket frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        try
        {
            Send(frame.Memory);
        }
        finally
        {
            frame.Release();
        }
    }

    /// <summary>Stops the reader thread, completes <see cref="Inbound"/> and closes the device.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        ulong one = 1;
        _ = write(_wake.Fd, &one, sizeof(ulong));
        if (Thread.CurrentThread != _reader) _reader.Join();
        _tap.Dispose();
        _wake.Dispose();
        _inbound.OnCompleted();
    }

    /// <inheritdoc />
    public override string ToString() => $"tap {Name} ({Address}, mtu {Mtu})";

    private static void Validate(TapLinkOptions options)
    {
        if (options.Name is null || Encoding.ASCII.GetByteCount(options.Name) >= TunConstants.IFNAMSIZ || options.Name.Any(c => c is '/' or ' ' or '\0' || c > 127))
            throw new ArgumentException($"Device name '{options.Name}' must be ASCII, at most {TunConstants.IFNAMSIZ - 1} characters, without '/' or spaces.", nameof(options));
        if (options.Mtu is < 576 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(options), options.Mtu, "MTU must be between 576 and 65535.");
        if (options.PrefixLength is < 0 or > 32)
            throw new ArgumentOutOfRangeException(nameof(options), options.PrefixLength, "Prefix length must be between 0 and 32.");
        if (options.Address is { IsUnicast: false } mac)
            throw new ArgumentException($"The stack's address must be unicast, not {mac}.", nameof(options));
        if (options.KernelHardwareAddress is { IsUnicast: false } kernelMac)
            throw new ArgumentException($"The device's address must be unicast, not {kernelMac}.", nameof(options));
        if (options.Address is { } stack && options.KernelHardwareAddress == stack)
            throw new ArgumentException("The stack's address and the device's own address must differ.", nameof(options));
        if (options.Bridge is { } bridge && (bridge.Length == 0 || Encoding.ASCII.GetByteCount(bridge) >= TunConstants.IFNAMSIZ || bridge.Any(c => c is '/' or ' ' or '\0' || c > 127)))
            throw new ArgumentException($"Bridge name '{bridge}' is not a device name.", nameof(options));
    }

    /// <summary>
    /// Configures the device with child processes forked from this thread, so they act on this
    /// thread's network namespace. IPv6 goes off before the link comes up, so the kernel never
    /// starts router solicitations or duplicate address detection on it.
    /// </summary>
    private void Configure(TapLinkOptions options)
    {
        if (options.KernelHardwareAddress is { } kernelMac)
            ChildProcess.Run(["ip", "link", "set", Name, "address", kernelMac.ToString()], CommandTimeout).EnsureSuccess();
        if (options.KernelAddress is { } kernel)
            ChildProcess.Run(["ip", "addr", "add", $"{kernel}/{options.PrefixLength}", "dev", Name], CommandTimeout).EnsureSuccess();
        if (options.Bridge is { } bridge)
            ChildProcess.Run(["ip", "link", "set", Name, "master", bridge], CommandTimeout).EnsureSuccess();
        // Not fatal: a kernel booted with ipv6.disable=1 has no such sysctl, and then no IPv6 arrives anyway.
        ChildProcess.Run(["sysctl", "-qw", $"net.ipv6.conf.{Name}.disable_ipv6=1"], CommandTimeout);
        ChildProcess.Run(["ip", "link", "set", Name, "mtu", options.Mtu.ToString(), "up"], CommandTimeout).EnsureSuccess();
    }

    /// <summary>
    /// Writes one frame behind its virtio header: all zeros for a frame within the MTU, or, for a
    /// TCP/IPv4 super-segment, the header that has the kernel cut it into MTU-sized segments (the
    /// TUN link's header, its offsets moved past the Ethernet header). The frame is ours (see
    /// <see cref="ILink"/>), so its TCP checksum field may be rewritten in place.
    /// </summary>
    private bool WriteWithHeader(int fd, ReadOnlyMemory<byte> frame)
    {
        Span<byte> header = stackalloc byte[VirtioNetHeader.Size];
        VirtioNetHeader.WritePlain(header);
        if (frame.Length > Mtu + EthernetCodec.HeaderLength)
        {
            var writable = MemoryMarshal.AsMemory(frame).Span;
            if (BinaryPrimitives.ReadUInt16BigEndian(writable[12..]) != (ushort)EtherType.IPv4
                || !VirtioNetHeader.TryWriteSuperSegment(header, writable[EthernetCodec.HeaderLength..], Mtu))
                return false;
            ShiftPastEthernetHeader(header);
            Interlocked.Increment(ref _superSegmentsSent);
        }
        return TunTapDevice.WriteGathered(fd, header, frame.Span);
    }

    /// <summary>hdr_len and csum_start count from the start of what follows the virtio header: on a TAP device, the Ethernet header.</summary>
    private static void ShiftPastEthernetHeader(Span<byte> header)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(header[2..]) + EthernetCodec.HeaderLength));
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(header[6..]) + EthernetCodec.HeaderLength));
    }

    /// <summary>
    /// With <see cref="TapLinkOptions.Offload"/>, strips the virtio header from a frame just read
    /// (completing a partial checksum in place: its offsets count from the frame's start, so the
    /// TUN link's code serves unchanged) and counts what it was; false when the frame is dropped.
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

    // The TUN link's read loop, but every frame is delivered (the interface decides what to keep).
    // Kept separate while the TUN loop is being reworked; the two should share one once it settles.
    private void ReadLoop()
    {
        // Big enough for any frame the device can hand over, super-segments included.
        var buffer = GC.AllocateUninitializedArray<byte>(65536 + EthernetCodec.HeaderLength + VirtioNetHeader.Size, pinned: true);
        int skip = Options.Offload ? VirtioNetHeader.Size : 0;
        var fds = stackalloc pollfd[2];
        int consecutiveErrors = 0;
        fixed (byte* data = buffer)
        {
            while (true)
            {
                fds[0] = new pollfd { fd = _tap.Fd, events = (short)POLLIN };
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
                    long n = read(_tap.Fd, data, buffer.Length);
                    if (n < 0)
                    {
                        int error = errno;
                        if (error == EINTR) continue;
                        if (error == EAGAIN || error == EWOULDBLOCK) break;
                        Interlocked.Increment(ref _readErrors);
                        // A device that went away keeps failing; stop rather than spin.
                        if (++consecutiveErrors >= 100)
                        {
                            _inbound.OnError(new TunException($"Reading TAP device '{Name}' keeps failing ({Errno.Describe(error)}); the device is gone."));
                            return;
                        }
                        Thread.Sleep(10);
                        break;
                    }
                    consecutiveErrors = 0;
                    if (n == 0) break;
                    if (skip != 0 && !UnwrapOffloaded(new Span<byte>(data, (int)n))) continue;
                    n -= skip;
                    if (n < EthernetCodec.HeaderLength)
                    {
                        Interlocked.Increment(ref _shortFrames);
                        continue;
                    }
                    Interlocked.Increment(ref _framesReceived);
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
