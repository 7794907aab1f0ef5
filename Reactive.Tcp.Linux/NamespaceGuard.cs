using static Tmds.Linux.LibC;

namespace Reactive.Tcp.Linux;

/// <summary>Tells whether the calling thread is in a network namespace where a TUN device may safely be created.</summary>
internal static class NamespaceGuard
{
    /// <summary>
    /// True when this thread shares PID 1's network namespace (where the real interfaces live).
    /// Null when that cannot be read: /proc mounted with hidepid, or a PID 1 that is not dumpable
    /// (seen in sandboxes: readlink on /proc/1/ns/net fails even for root). We do not guess.
    /// </summary>
    public static bool? InInitialNamespace()
    {
        try
        {
            var mine = new FileInfo("/proc/thread-self/ns/net").LinkTarget;
            var init = new FileInfo("/proc/1/ns/net").LinkTarget;
            if (mine is null || init is null) return null;
            return mine == init;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The name of the <c>ip netns</c> namespace (a bind mount under /run/netns) this thread is in,
    /// or null when it is in none of them.
    /// </summary>
    public static unsafe string? NamedNamespace()
    {
        if (!Identify("/proc/thread-self/ns/net", out var mine)) return null;
        string[] names;
        try
        {
            names = Directory.GetFiles("/run/netns");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        foreach (var path in names)
            if (Identify(path, out var id) && id == mine) return Path.GetFileName(path);
        return null;
    }

    /// <summary>
    /// Whether a device may be created from this thread: never in PID 1's namespace, and, when that
    /// cannot be told, only inside a namespace that <c>ip netns add</c> made.
    /// </summary>
    public static bool SafeToCreateDevice() => InInitialNamespace() switch
    {
        true => false,
        false => true,
        null => NamedNamespace() is not null,
    };

    private static unsafe bool Identify(string path, out (ulong Device, ulong Inode) id)
    {
        id = default;
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        Tmds.Linux.stat st;
        fixed (byte* p = bytes)
        {
            if (stat(p, &st) != 0) return false;
        }
        id = ((ulong)st.st_dev, (ulong)st.st_ino);
        return true;
    }
}
