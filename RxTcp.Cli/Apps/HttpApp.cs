using System.Buffers;
using System.Globalization;
using System.Text;
using Reactive.Tcp.Api;
using Reactive.Tcp.Tcp;

namespace RxTcp.Cli.Apps;

/// <summary>
/// A small HTTP/1.1 server (port 80). <c>/</c> is minimart's hit counter: "Hello world from
/// minimart-netstack!" and the number of requests answered before this one. With a root
/// directory, other paths are files below it, sent with <c>Content-Length</c>; connections are
/// kept alive between requests unless the client asks for <c>Connection: close</c> (or speaks
/// HTTP/1.0 without <c>keep-alive</c>). GET and HEAD only.
/// </summary>
public sealed class HttpApp
{
    /// <summary>The well-known port.</summary>
    public const ushort DefaultPort = 80;

    /// <summary>The first line of the hit counter's page body.</summary>
    public const string Greeting = "Hello world from minimart-netstack!";

    private const int FileChunk = 128 * 1024;
    private const int HeadLimit = 16 * 1024;
    private readonly HttpFileCache _files = new();
    private long _requests;

    /// <summary>A server with the hit counter only (<paramref name="root"/> null) or with static files below <paramref name="root"/>.</summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> is not a directory.</exception>
    public HttpApp(string? root = null)
    {
        if (root is null) return;
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"--root: '{root}' is not a directory.");
        Root = full;
    }

    /// <summary>The directory files are served from (absolute), or null.</summary>
    public string? Root { get; }

    /// <summary>Requests answered so far (the hit counter).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Serves one connection in the background until it closes.</summary>
    public void Serve(TcpConnection connection) => _ = ServeAsync(connection);

    /// <summary>Serves requests on one connection; the task ends when the connection is closed (or aborted).</summary>
    public async Task ServeAsync(TcpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // Reading through the credit-based stream: while a long response goes out, further requests
        // wait in the TCP window instead of piling up here.
        var stream = connection.AsStream();
        // Heads up to 16 KiB (nginx allows 8 KiB lines); a thousand idle keep-alive connections then hold 16 MiB here, not 64.
        var reader = new HttpReader(stream, HeadLimit);
        byte[]? scratch = null; // only for request bodies, which GET and HEAD rarely have
        try
        {
            while (true)
            {
                HttpHead? head;
                try
                {
                    head = await reader.ReadHeadAsync().ConfigureAwait(false);
                }
                catch (HttpFormatException e)
                {
                    await SendHeadAsync(connection, e.Status, keepAlive: false, Plain(e.Message)).ConfigureAwait(false);
                    break;
                }
                if (head is null) break; // the client closed between requests

                var request = HttpRequestLine.TryParse(head.StartLine, out var problem);
                bool keepAlive = request is not null && WantsKeepAlive(head, request.Version);
                if (request is null)
                {
                    await SendHeadAsync(connection, problem!.Status, keepAlive: false, Plain(problem.Message)).ConfigureAwait(false);
                    break;
                }
                if (head["Transfer-Encoding"] is not null)
                {
                    // A request body we cannot delimit: answer and close rather than misread the stream.
                    await SendHeadAsync(connection, 501, keepAlive: false, Plain("request bodies with Transfer-Encoding are not supported")).ConfigureAwait(false);
                    break;
                }
                long? bodyLength;
                try
                {
                    bodyLength = head.ContentLength;
                }
                catch (HttpFormatException e)
                {
                    await SendHeadAsync(connection, e.Status, keepAlive: false, Plain(e.Message)).ConfigureAwait(false);
                    break;
                }
                if (bodyLength is > 0) await reader.CopyBodyAsync(bodyLength, null, scratch ??= new byte[16 * 1024]).ConfigureAwait(false);

                keepAlive = await RespondAsync(connection, request, keepAlive).ConfigureAwait(false);
                if (!keepAlive) break;
            }
            await stream.DisposeAsync().ConfigureAwait(false); // FIN after the last response
        }
        catch (Exception e) when (e is IOException or TcpException or InvalidOperationException or UnauthorizedAccessException)
        {
            connection.Abort();
        }
    }

    /// <summary>Answers one request; returns whether the connection stays open.</summary>
    private async Task<bool> RespondAsync(TcpConnection connection, HttpRequestLine request, bool keepAlive)
    {
        long earlier = Interlocked.Increment(ref _requests) - 1;
        bool head = request.Method == "HEAD";
        if (request.Method is not ("GET" or "HEAD"))
        {
            await SendHeadAsync(connection, 405, keepAlive, Plain($"{request.Method} is not supported here"), "Allow: GET, HEAD\r\n").ConfigureAwait(false);
            return keepAlive;
        }
        if (request.Path == "/")
        {
            var page = Encoding.UTF8.GetBytes(HitCounterPage(earlier));
            await SendHeadAsync(connection, 200, keepAlive, head ? null : page, contentType: "text/html; charset=utf-8", contentLength: page.Length).ConfigureAwait(false);
            return keepAlive;
        }
        if (_files.TryGet(request.Path) is { } kept)
        {
            await SendHeadAsync(connection, 200, keepAlive, head ? null : kept.Content, contentType: kept.ContentType, contentLength: kept.Content.Length).ConfigureAwait(false);
            return keepAlive;
        }
        if (ResolveFile(request.Path) is not var (file, real))
        {
            await SendHeadAsync(connection, 404, keepAlive, head ? null : Plain($"{request.Path} was not found")).ConfigureAwait(false);
            return keepAlive;
        }

        var lastWrite = File.GetLastWriteTimeUtc(real); // before reading: a change while reading shows at the next request
        await using var content = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        long length = content.Length;
        if (length <= HttpFileCache.MaxFileBytes)
        {
            // Small: read whole, answered in one send, and kept for the next request of this path.
            var bytes = new byte[length];
            await content.ReadExactlyAsync(bytes).ConfigureAwait(false);
            var entry = new HttpFileCache.Entry(real, bytes, lastWrite, ContentType(file));
            _files.Add(request.Path, entry);
            await SendHeadAsync(connection, 200, keepAlive, head ? null : bytes, contentType: entry.ContentType, contentLength: length).ConfigureAwait(false);
            return keepAlive;
        }
        var headBytes = Head(200, keepAlive, ContentType(file), length, "");
        if (head)
        {
            await connection.SendAsync(headBytes).ConfigureAwait(false);
            return keepAlive;
        }

        // The head and the first chunk of the body leave in one send, so that a small file is one
        // write (one segment when it fits) and no second write waits behind Nagle for the peer's
        // delayed ACK. One pooled buffer serves the whole response: SendAsync completes once the
        // bytes are copied into the send buffer.
        int first = (int)Math.Min(FileChunk, length);
        var buffer = ArrayPool<byte>.Shared.Rent(headBytes.Length + first);
        try
        {
            headBytes.CopyTo(buffer, 0);
            int filled = headBytes.Length;
            long sent = 0;
            while (sent < length || filled > 0)
            {
                int want = (int)Math.Min(buffer.Length - filled, length - sent);
                while (want > 0)
                {
                    int n = await content.ReadAsync(buffer.AsMemory(filled, want)).ConfigureAwait(false);
                    if (n == 0) throw new IOException($"{file} shrank while being sent"); // the promised length cannot be kept
                    filled += n;
                    sent += n;
                    want -= n;
                }
                await connection.SendAsync(buffer.AsMemory(0, filled)).ConfigureAwait(false);
                filled = 0;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return keepAlive;
    }

    /// <summary>minimart's page: the greeting and how many requests came before this one.</summary>
    public static string HitCounterPage(long earlierRequests) =>
        "<!DOCTYPE html>\n<html><head><title>RxTcp</title></head><body>\n"
        + $"<h1>{Greeting}</h1>\n"
        + "<p>This page was sent by RxTcp, a userspace TCP/IP stack written as an Rx.NET pipeline.</p>\n"
        + string.Create(CultureInfo.InvariantCulture, $"<p>There have been {earlierRequests} requests prior to this one.</p>\n")
        + "</body></html>\n";

    /// <summary>
    /// The file under <see cref="Root"/> that <paramref name="path"/> names (percent-decoded; a
    /// directory means its <c>index.html</c>), or null when there is none or the path would leave
    /// the root (<c>..</c>, or a symbolic link pointing outside).
    /// </summary>
    public string? Resolve(string path) => ResolveFile(path)?.Full;

    /// <summary><see cref="Resolve"/>, also giving the file with every link followed (what is opened).</summary>
    private (string Full, string Real)? ResolveFile(string path)
    {
        if (Root is null || !path.StartsWith('/')) return null;
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(path);
        }
        catch (UriFormatException)
        {
            return null;
        }
        if (decoded.Contains('\0') || decoded.Contains('\\')) return null;
        var segments = decoded.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or "..")) return null;
        var full = Path.GetFullPath(Path.Join(Root, string.Join('/', segments)));
        if (!Inside(full)) return null;
        if (Directory.Exists(full)) full = Path.Join(full, "index.html");
        if (!File.Exists(full)) return null;
        // The lexical check above cannot see links: follow them and check where they really lead.
        var real = RealPath(full);
        return real is not null && Inside(real) ? (full, real) : null;
    }

    private bool Inside(string full) => full == Root || full.StartsWith(Root + "/", StringComparison.Ordinal);

    private string? RealPath(string path)
    {
        try
        {
            // Resolve each component, so that links in directories along the way count too.
            var current = "/";
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current = Path.Join(current, part);
                var info = new FileInfo(current);
                if (info.LinkTarget is not null)
                    current = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? current;
            }
            return Path.GetFullPath(current);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool WantsKeepAlive(HttpHead head, string version) =>
        version == "HTTP/1.0" ? head.HasToken("Connection", "keep-alive") : !head.HasToken("Connection", "close");

    private static byte[] Plain(string text) => Encoding.UTF8.GetBytes(text + "\n");

    /// <summary>Sends a whole response, head and body, in one send.</summary>
    private static Task SendHeadAsync(TcpConnection connection, int status, bool keepAlive, byte[]? body,
        string extraFields = "", string contentType = "text/plain; charset=utf-8", long? contentLength = null)
    {
        var bytes = Head(status, keepAlive, contentType, contentLength ?? body?.Length ?? 0, extraFields);
        if (body is { Length: > 0 })
        {
            var whole = new byte[bytes.Length + body.Length];
            bytes.CopyTo(whole, 0);
            body.CopyTo(whole, bytes.Length);
            bytes = whole;
        }
        return connection.SendAsync(bytes);
    }

    private static byte[] Head(int status, bool keepAlive, string contentType, long contentLength, string extraFields) =>
        Encoding.ASCII.GetBytes(new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {Reason(status)}\r\n")
            .Append("Server: rxtcp\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {contentLength}\r\n")
            .Append(keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n")
            .Append(extraFields)
            .Append("\r\n")
            .ToString());

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };

    private static string ContentType(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".html" or ".htm" => "text/html; charset=utf-8",
        ".txt" or ".md" => "text/plain; charset=utf-8",
        ".css" => "text/css",
        ".js" => "text/javascript",
        ".json" => "application/json",
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".gif" => "image/gif",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}

/// <summary>A parsed request line: method, path (query and fragment removed) and version.</summary>
public sealed record HttpRequestLine(string Method, string Path, string Version)
{
    /// <summary>Parses <c>METHOD target HTTP/1.x</c>; on failure returns null and says why (400 or 505).</summary>
    public static HttpRequestLine? TryParse(string line, out HttpFormatException? problem)
    {
        problem = null;
        var parts = line.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !parts[0].All(char.IsAsciiLetterUpper) || parts[1].Length == 0)
        {
            problem = new HttpFormatException(400, $"bad request line '{HttpHead.Shorten(line)}'");
            return null;
        }
        if (parts[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            problem = new HttpFormatException(505, $"{HttpHead.Shorten(parts[2])} is not supported; HTTP/1.0 and HTTP/1.1 are");
            return null;
        }
        var target = parts[1];
        // Absolute form (proxies send it): keep only the path.
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            int slash = target.IndexOf('/', "http://".Length);
            target = slash < 0 ? "/" : target[slash..];
        }
        if (!target.StartsWith('/'))
        {
            problem = new HttpFormatException(400, $"bad request target '{HttpHead.Shorten(target)}'");
            return null;
        }
        int cut = target.IndexOfAny(['?', '#']);
        return new HttpRequestLine(parts[0], cut < 0 ? target : target[..cut], parts[2]);
    }
}
