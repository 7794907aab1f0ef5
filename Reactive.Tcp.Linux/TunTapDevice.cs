using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Reactive.Tcp.Linux;

/// <summary>
/// What <see cref="TunLink"/> and <see cref="TapLink"/> do the same way on <c>/dev/net/tun</c>:
/// create or attach to a device (<c>TUNSETIFF</c>) with errors that say what to do, turn on the
/// virtio-header offloads, and write one packet or frame per system call. The two differ only in
/// the mode flag and in what travels through the device (IP packets, Ethernet frames).
/// </summary>
internal static unsafe class TunTapDevice
{
    /// <summary>The character device both kinds are opened through.</summary>
    public const string DevicePath = "/dev/net/tun";

    /// <summary><c>IFF_TAP</c> (linux/if_tun.h): Ethernet frames rather than IP packets.</summary>
    public const short IFF_TAP = 0x0002;

    /// <summary>The kinds of device, as error messages name them.</summary>
    public enum Kind
    {
        /// <summary>A TUN device: IP packets.</summary>
        Tun,
        /// <summary>A TAP device: Ethernet frames.</summary>
        Tap,
    }

    /// <summary>
    /// Opens <c>/dev/net/tun</c> and creates (or attaches to) the device named
    /// <paramref name="requestedName"/>, empty for the kernel's choice, with
    /// <c>IFF_NO_PI</c> and the given options; returns the descriptor and the name the kernel gave it.
    /// </summary>
    /// <exception cref="TunException">The device cannot be opened or created; the message says why and what to do.</exception>
    public static FileDescriptorHandle Open(Kind kind, string requestedName, bool multiQueue, bool offload, out string name)
    {
        int fd;
        fixed (byte* path = "/dev/net/tun\0"u8)
            fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd < 0)
        {
            int error = errno;
            throw error == ENOENT || error == ENXIO || error == ENODEV
                ? new TunException($"{DevicePath} is missing: load the tun module (modprobe tun) or, in a container, pass the device in (--device /dev/net/tun).", error)
                : error == EACCES || error == EPERM
                    ? new TunException($"Permission denied opening {DevicePath}: run as root (or with CAP_NET_ADMIN) inside a network namespace (ip netns add rxt-x; ip netns exec rxt-x ...).", error)
                    : new TunException($"Cannot open {DevicePath}: {Errno.Describe(error)}.", error);
        }
        var handle = new FileDescriptorHandle(fd);

        var ifreq = stackalloc byte[TunConstants.IfreqSize];
        new Span<byte>(ifreq, TunConstants.IfreqSize).Clear();
        Encoding.ASCII.GetBytes(requestedName, new Span<byte>(ifreq, TunConstants.IFNAMSIZ - 1));
        short flags = (short)((kind == Kind.Tap ? IFF_TAP : TunConstants.IFF_TUN) | TunConstants.IFF_NO_PI
            | (multiQueue ? TunConstants.IFF_MULTI_QUEUE : 0)
            | (offload ? TunConstants.IFF_VNET_HDR : 0));
        *(short*)(ifreq + TunConstants.IfreqFlagsOffset) = flags;
        if (ioctl(fd, TunConstants.TUNSETIFF, ifreq) < 0)
        {
            int error = errno;
            handle.Dispose();
            var (upper, other) = kind == Kind.Tap ? ("TAP", "TUN") : ("TUN", "TAP");
            var device = requestedName.Length == 0 ? $"a {upper} device" : $"{upper} device '{requestedName}'";
            throw error == EBUSY
                ? new TunException($"Cannot attach to {device}: it is busy (another descriptor, in this or another process, holds it). Pick another name or stop the other process.", error)
                : error == EPERM || error == EACCES
                    ? new TunException($"Not permitted to create {device}: run as root (or with CAP_NET_ADMIN) inside a network namespace.", error)
                    : error == EINVAL
                        ? new TunException($"Cannot attach to {device}: it exists with other flags (multi-queue {(multiQueue ? "requested" : "not requested")}, or it is a {other} or persistent device). Pick another name.", error)
                        : new TunException($"Creating {device} failed: {Errno.Describe(error)}.", error);
        }
        if (offload) EnableOffload(kind, fd, handle);
        var span = new ReadOnlySpan<byte>(ifreq, TunConstants.IFNAMSIZ);
        int end = span.IndexOf((byte)0);
        name = Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
        return handle;
    }

    /// <summary>
    /// Sets the header size and offers checksum and TSO4 offload, so the kernel may send partially
    /// checksummed packets and super-segments. Fails only on kernels without these ioctls.
    /// </summary>
    private static void EnableOffload(Kind kind, int fd, FileDescriptorHandle handle)
    {
        int size = VirtioNetHeader.Size;
        if (ioctl(fd, TunConstants.TUNSETVNETHDRSZ, &size) < 0 ||
            ioctl(fd, TunConstants.TUNSETOFFLOAD, (void*)(nuint)(TunConstants.TUN_F_CSUM | TunConstants.TUN_F_TSO4)) < 0)
        {
            int error = errno;
            handle.Dispose();
            throw new TunException($"Cannot turn on {(kind == Kind.Tap ? "TAP" : "TUN")} offloads (virtio header, checksum, TSO4): {Errno.Describe(error)}. Open the link without Offload.", error);
        }
    }

    /// <summary>Writes one packet or frame with one <c>write()</c>, waiting briefly while the device's queue is full; false when it could not be written.</summary>
    public static bool Write(int fd, ReadOnlySpan<byte> packet)
    {
        fixed (byte* p = packet)
        {
            for (int attempt = 0; ; attempt++)
            {
                long written = write(fd, p, packet.Length);
                if (written == packet.Length) return true;
                if (written >= 0) return false; // a TUN/TAP write is all or nothing; anything else is an error
                int error = errno;
                if (error == EINTR) continue;
                if ((error == EAGAIN || error == EWOULDBLOCK) && attempt < 100)
                {
                    WaitWritable(fd);
                    continue;
                }
                return false;
            }
        }
    }

    /// <summary>Writes <paramref name="header"/> and <paramref name="packet"/> as one packet with one <c>writev()</c> (no copy); false when it could not be written.</summary>
    public static bool WriteGathered(int fd, ReadOnlySpan<byte> header, ReadOnlySpan<byte> packet)
    {
        fixed (byte* h = header)
        fixed (byte* p = packet)
        {
            var vectors = stackalloc Vectored.IoVector[2];
            vectors[0] = new Vectored.IoVector { Base = h, Length = (nuint)header.Length };
            vectors[1] = new Vectored.IoVector { Base = p, Length = (nuint)packet.Length };
            long expected = header.Length + packet.Length;
            for (int attempt = 0; ; attempt++)
            {
                long written = Vectored.Write(fd, vectors, 2);
                if (written == expected) return true;
                if (written >= 0) return false;
                int error = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (error == EINTR) continue;
                if ((error == EAGAIN || error == EWOULDBLOCK) && attempt < 100)
                {
                    WaitWritable(fd);
                    continue;
                }
                return false;
            }
        }
    }

    private static void WaitWritable(int fd)
    {
        var pfd = new pollfd { fd = fd, events = (short)POLLOUT };
        _ = poll(&pfd, 1, 100);
    }
}
