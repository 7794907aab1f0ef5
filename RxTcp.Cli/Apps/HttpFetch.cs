using System.Diagnostics;
using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using Reactive.Tcp.Api;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Cli.Apps;

/// <summary>What a fetch got.</summary>
/// <param name="StatusCode">The response's status code.</param>
/// <param name="ReasonPhrase">Its reason phrase.</param>
/// <param name="BodyBytes">Body bytes written to the output.</param>
/// <param name="Framing">How the body's end was found: <c>Content-Length</c>, <c>chunked</c>, <c>close</c> or <c>none</c>.</param>
/// <param name="Elapsed">From the connect to the end of the body.</param>
public sealed record FetchResult(int StatusCode, string ReasonPhrase, long BodyBytes, string Framing, TimeSpan Elapsed)
{
    /// <summary>True for a 2xx status.</summary>
    public bool Succeeded => StatusCode is >= 200 and < 300;
}

/// <summary>
/// minimart's fetchurl: one HTTP/1.1 GET from a <see cref="TcpStack"/> to a server, the body
/// written to a stream. The body ends by <c>Content-Length</c>, chunked encoding or the server's
/// close; redirects are not followed.
/// </summary>
public static class HttpFetch
{
    private const int ReadSize = 256 * 1024;
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Checks that <paramref name="text"/> is an <c>http://</c> URL whose host is an IPv4 address
    /// (the stack has no resolver); returns an explanation when it is not.
    /// </summary>
    public static string? Validate(string text, out Uri? url, out IPv4Address address)
    {
        address = default;
        if (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme != Uri.UriSchemeHttp)
            return $"'{text}' is not an http:// URL (https is not supported).";
        if (url.HostNameType != UriHostNameType.IPv4 || !IPv4Address.TryParse(url.Host, out address))
            return $"the host in '{text}' must be an IPv4 address (RxTcp has no DNS resolver).";
        return null;
    }

    /// <summary>
    /// Connects from <paramref name="stack"/> to the URL's host, sends a GET with
    /// <c>Connection: close</c>, writes the response body to <paramref name="output"/>, closes.
    /// </summary>
    /// <exception cref="ArgumentException">The URL is not an http:// URL with an IPv4 host.</exception>
    /// <exception cref="TcpException">The connection failed (refused, reset, timed out).</exception>
    /// <exception cref="HttpFormatException">The response is not HTTP/1.x.</exception>
    /// <exception cref="IOException">The connection closed before the body's announced end.</exception>
    public static async Task<FetchResult> GetAsync(TcpStack stack, Uri url, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(output);
        if (Validate(url.OriginalString, out _, out var address) is { } problem) throw new ArgumentException(problem, nameof(url));

        var watch = Stopwatch.StartNew();
        var connection = await stack.Connect(address, (ushort)url.Port).FirstAsync().ToTask(cancellationToken).ConfigureAwait(false);
        var stream = connection.AsStream();
        try
        {
            var request = string.Create(CultureInfo.InvariantCulture,
                $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUser-Agent: rxtcp\r\nAccept: */*\r\nConnection: close\r\n\r\n");
            await connection.SendAsync(Encoding.ASCII.GetBytes(request), cancellationToken).ConfigureAwait(false);

            var reader = new HttpReader(stream);
            HttpHead head;
            int status;
            string reason;
            do
            {
                head = await reader.ReadHeadAsync(cancellationToken).ConfigureAwait(false)
                    ?? throw new HttpFormatException(0, "the server closed the connection without a response");
                (status, reason) = ParseStatusLine(head.StartLine);
            }
            while (status is >= 100 and < 200); // interim responses (100 Continue, 103 Early Hints)

            var scratch = new byte[ReadSize];
            long bytes;
            string framing;
            if (status is 204 or 304)
            {
                (bytes, framing) = (0, "none");
            }
            else if (head["Transfer-Encoding"] is { } encoding)
            {
                if (!encoding.Split(',', StringSplitOptions.TrimEntries).Last().Equals("chunked", StringComparison.OrdinalIgnoreCase))
                    throw new HttpFormatException(0, $"unsupported Transfer-Encoding '{encoding}'");
                (bytes, framing) = (await reader.CopyChunkedBodyAsync(output, scratch, cancellationToken).ConfigureAwait(false), "chunked");
            }
            else if (head.ContentLength is { } length)
            {
                (bytes, framing) = (await reader.CopyBodyAsync(length, output, scratch, cancellationToken).ConfigureAwait(false), "Content-Length");
            }
            else
            {
                (bytes, framing) = (await reader.CopyBodyAsync(null, output, scratch, cancellationToken).ConfigureAwait(false), "close");
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            watch.Stop();

            await stream.DisposeAsync().ConfigureAwait(false); // our FIN
            // Let the close handshake finish, so the server sees a clean close and not a reset when the stack goes away.
            await connection.States.Where(s => s is TcpState.Closed or TcpState.TimeWait).FirstOrDefaultAsync()
                .Timeout(CloseWait).Catch(Observable.Return(TcpState.Closed)).ToTask(cancellationToken).ConfigureAwait(false);
            return new FetchResult(status, reason, bytes, framing, watch.Elapsed);
        }
        catch
        {
            connection.Abort();
            throw;
        }
    }

    private static (int Status, string Reason) ParseStatusLine(string line)
    {
        var parts = line.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[1].Length != 3
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
            throw new HttpFormatException(0, $"not an HTTP/1.x response: '{HttpHead.Shorten(line)}'");
        return (status, parts.Length > 2 ? parts[2] : "");
    }
}
