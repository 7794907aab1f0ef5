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
    public const int IFNAMSIZ = 16;
    /// <summary>sizeof(struct ifreq) on 64-bit Linux: the name plus a 24-byte union.</summary>
    public const int IfreqSize = 40;
    public const int IfreqFlagsOffset = 16;
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
