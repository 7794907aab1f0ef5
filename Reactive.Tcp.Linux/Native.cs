using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Reactive.Tcp.Linux;

/// <summary>Constants from linux/if_tun.h that Tmds.LibC does not carry.</summary>
internal static class TunConstants
{
    public const int TUNSETIFF = 0x400454ca;
    public const short IFF_TUN = 0x0001;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_MULTI_QUEUE = 0x0100;
    /// <summary>Every packet read or written starts with a <c>struct virtio_net_hdr</c>.</summary>
    public const short IFF_VNET_HDR = 0x4000;
    /// <summary><c>_IOW('T', 208, unsigned int)</c>: which offloads the reader can take (the argument is the value itself).</summary>
    public const int TUNSETOFFLOAD = 0x400454d0;
    /// <summary><c>_IOW('T', 216, int)</c>: the size of the header in front of each packet (argument: pointer to int).</summary>
    public const int TUNSETVNETHDRSZ = 0x400454d8;
    /// <summary>The reader completes checksums itself (needed for any of the TSO flags).</summary>
    public const uint TUN_F_CSUM = 0x01;
    /// <summary>The reader takes TCP/IPv4 super-segments (TSO).</summary>
    public const uint TUN_F_TSO4 = 0x02;
    public const int IFNAMSIZ = 16;
    /// <summary>sizeof(struct ifreq) on 64-bit Linux: the name plus a 24-byte union.</summary>
    public const int IfreqSize = 40;
    public const int IfreqFlagsOffset = 16;
}

/// <summary>The scatter-gather write that Tmds.LibC does not carry: header and packet in one system call, without a copy.</summary>
internal static unsafe partial class Vectored
{
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport("libc", EntryPoint = "writev", SetLastError = true)]
    public static partial nint Write(int fd, IoVector* vectors, int count);
}

/// <summary>A file descriptor closed exactly once, after the last in-flight call that holds it.</summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public int Fd => (int)handle;

    public override bool IsInvalid => handle == new IntPtr(-1);

    protected override bool ReleaseHandle() => close((int)handle) == 0;
}

/// <summary>Small helpers around errno.</summary>
internal static class Errno
{
    public static int Last => errno;

    /// <summary>The C library's text for an error number, for messages.</summary>
    public static string Describe(int error) => Marshal.GetPInvokeErrorMessage(error);
}
