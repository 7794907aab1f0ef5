using Xunit;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// A fact that needs Linux, root and /dev/net/tun: it creates network namespaces and TUN devices.
/// Elsewhere it is skipped with the reason (xunit 2 has no dynamic skip, so the check runs here).
/// </summary>
public sealed class LinuxRootFactAttribute : FactAttribute
{
    public LinuxRootFactAttribute()
    {
        if (SkipReason() is { } reason) Skip = reason;
    }

    public static string? SkipReason()
    {
        if (!OperatingSystem.IsLinux()) return "Linux interop: needs Linux (TUN devices, network namespaces).";
        if (!Environment.IsPrivilegedProcess) return "Linux interop: needs root (creates network namespaces and TUN devices); run the tests as root.";
        if (!File.Exists("/dev/net/tun")) return "Linux interop: /dev/net/tun is missing (modprobe tun, or pass --device /dev/net/tun to the container).";
        return null;
    }
}
