using System.Collections.Concurrent;

namespace RxTcp.Cli.Apps;

/// <summary>
/// The small files <see cref="HttpApp"/> has served, by request path: the real file the path
/// resolved to (inside the root), its bytes, and its modification time. Every use checks the file
/// again (one <c>stat</c> instead of resolving the path component by component, opening, reading
/// and closing), so an edited, replaced or removed file is read afresh. The resolved file is what
/// is checked and served, never the path again, so a link changed later cannot lead outside the root.
/// </summary>
internal sealed class HttpFileCache
{
    /// <summary>Files up to this size are kept.</summary>
    public const int MaxFileBytes = 64 * 1024;

    private const long MaxTotalBytes = 64L * 1024 * 1024;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _bytes;

    /// <summary>One kept file.</summary>
    public sealed record Entry(string RealPath, byte[] Content, DateTime LastWriteUtc, string ContentType);

    /// <summary>The file kept for <paramref name="requestPath"/> if it is still as it was read; null otherwise (and it is forgotten).</summary>
    public Entry? TryGet(string requestPath)
    {
        if (!_entries.TryGetValue(requestPath, out var entry)) return null;
        var now = new FileInfo(entry.RealPath);
        if (now.Exists && now.Length == entry.Content.Length && now.LastWriteTimeUtc == entry.LastWriteUtc) return entry;
        if (_entries.TryRemove(new KeyValuePair<string, Entry>(requestPath, entry))) Interlocked.Add(ref _bytes, -entry.Content.Length);
        return null;
    }

    /// <summary>Keeps <paramref name="entry"/> for <paramref name="requestPath"/> when it is small and there is room.</summary>
    public void Add(string requestPath, Entry entry)
    {
        int length = entry.Content.Length;
        if (length > MaxFileBytes) return;
        if (Interlocked.Add(ref _bytes, length) > MaxTotalBytes || !_entries.TryAdd(requestPath, entry))
            Interlocked.Add(ref _bytes, -length);
    }
}
