namespace Reactive.Tcp.Linux;

/// <summary>Tells whether the calling thread is in the machine's initial network namespace.</summary>
internal static class NamespaceGuard
{
    /// <summary>
    /// True when this thread shares PID 1's network namespace (where the real interfaces live).
    /// Null when that cannot be read (e.g. /proc mounted with hidepid): we do not guess.
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
}
