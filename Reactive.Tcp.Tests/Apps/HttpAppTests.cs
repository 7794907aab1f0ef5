using System.Reactive.Linq;
using System.Security.Cryptography;
using System.Text;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using RxTcp.Cli.Apps;
using Xunit;

namespace Reactive.Tcp.Tests.Apps;

public sealed class HttpAppTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rxt-http-root-");
    private readonly DirectoryInfo _outside = Directory.CreateTempSubdirectory("rxt-http-outside-");

    public void Dispose()
    {
        _root.Delete(recursive: true);
        _outside.Delete(recursive: true);
    }

    [Fact]
    public async Task The_hit_counter_counts_earlier_requests_over_one_kept_alive_connection()
    {
        using var rig = new AppRig();
        var app = new HttpApp();
        using var service = new TcpService(rig.Server, HttpApp.DefaultPort, app.Serve);
        var connection = await rig.ConnectAsync(HttpApp.DefaultPort);
        var responses = new Collector(connection);

        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        await responses.WaitForTextAsync("0 requests prior");
        // Pipelined: the second request's answer follows the first, then the server closes as asked.
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /?again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray());
        await responses.Ended.WaitAsync(AppRig.Patience);

        var text = responses.Text;
        Assert.Equal(3, CountOf(text, "HTTP/1.1 200 OK\r\n"));
        Assert.Equal(3, CountOf(text, HttpApp.Greeting));
        Assert.Contains("1 requests prior", text);
        Assert.Contains("2 requests prior", text);
        Assert.Equal(2, CountOf(text, "Connection: keep-alive\r\n"));
        Assert.EndsWith("</html>\n", text);
        Assert.Equal(3, app.Requests);
        Assert.Equal(1, service.Accepted);
    }

    [Fact]
    public async Task HTTP_1_0_without_keep_alive_gets_one_answer_then_the_close()
    {
        using var rig = new AppRig();
        using var service = new TcpService(rig.Server, HttpApp.DefaultPort, new HttpApp().Serve);
        var connection = await rig.ConnectAsync(HttpApp.DefaultPort);
        var response = new Collector(connection);
        await connection.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        await response.Ended.WaitAsync(AppRig.Patience);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response.Text);
        Assert.Contains("Connection: close\r\n", response.Text);
    }

    [Fact]
    public async Task Files_under_the_root_are_fetched_byte_exact_with_Content_Length()
    {
        var body = RandomNumberGenerator.GetBytes(2 * 1024 * 1024 + 3);
        File.WriteAllBytes(Path.Combine(_root.FullName, "big.bin"), body);
        using var rig = new AppRig();
        using var service = new TcpService(rig.Server, 8080, new HttpApp(_root.FullName).Serve);

        var output = new MemoryStream();
        var result = await HttpFetch.GetAsync(rig.Client, new Uri($"http://{AppRig.ServerAddress}:8080/big.bin"), output).WaitAsync(AppRig.Patience);

        Assert.Equal(200, result.StatusCode);
        Assert.Equal("Content-Length", result.Framing);
        Assert.Equal(body.Length, result.BodyBytes);
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(output.ToArray()));
    }

    [Fact]
    public async Task A_small_file_leaves_in_one_segment_and_a_large_one_starts_with_a_full_segment()
    {
        // One write per response: were the head sent apart from the body, the body would wait behind
        // Nagle for the client's delayed ACK (40 ms per request, seen with wrk over TUN).
        var small = RandomNumberGenerator.GetBytes(1024);
        var large = RandomNumberGenerator.GetBytes(300 * 1024);
        File.WriteAllBytes(Path.Combine(_root.FullName, "1k.bin"), small);
        File.WriteAllBytes(Path.Combine(_root.FullName, "large.bin"), large);
        PayloadWatch? watch = null;
        using var rig = new AppRig(serverPath: link => watch = new PayloadWatch(link));
        using var service = new TcpService(rig.Server, HttpApp.DefaultPort, new HttpApp(_root.FullName).Serve);
        var connection = await rig.ConnectAsync(HttpApp.DefaultPort);
        var responses = new Collector(connection);

        await connection.SendAsync("GET /1k.bin HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var text = await responses.WaitForAsync(t => t.Length > 0 && responses.Bytes.Length >= HeadLength(responses.Bytes) + small.Length, "the 1 KiB response");
        var smallResponse = watch!.Payloads();
        Assert.Single(smallResponse);
        Assert.Equal(responses.Bytes.Length, smallResponse[0].Length);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);

        int before = responses.Bytes.Length;
        await connection.SendAsync("GET /large.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray());
        await responses.Ended.WaitAsync(AppRig.Patience);
        var all = responses.Bytes;
        Assert.Equal(SHA256.HashData(large), SHA256.HashData(all.AsSpan(before + HeadLength(all.AsSpan(before).ToArray()))));
        var largeResponse = watch.Payloads().Skip(1).ToList();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", Encoding.ASCII.GetString(largeResponse[0]));
        Assert.Equal(1500 - 40 - 12, largeResponse[0].Length); // a full segment (MSS less the timestamp option), head and body together
    }

    [Fact]
    public async Task A_small_file_changed_replaced_by_a_link_out_or_removed_between_requests_is_served_as_it_is_now()
    {
        var path = Path.Combine(_root.FullName, "page.txt");
        File.WriteAllText(path, "first version");
        File.WriteAllText(Path.Combine(_outside.FullName, "secret.txt"), "secret");
        using var rig = new AppRig();
        using var service = new TcpService(rig.Server, HttpApp.DefaultPort, new HttpApp(_root.FullName).Serve);

        async Task<string> Get()
        {
            var connection = await rig.ConnectAsync(HttpApp.DefaultPort);
            var response = new Collector(connection);
            await connection.SendAsync("GET /page.txt HTTP/1.1\r\nConnection: close\r\n\r\n"u8.ToArray());
            await response.Ended.WaitAsync(AppRig.Patience);
            return response.Text;
        }

        Assert.EndsWith("\r\n\r\nfirst version", await Get());
        Assert.EndsWith("\r\n\r\nfirst version", await Get()); // kept, and still so
        File.WriteAllText(path, "second, longer version");
        Assert.EndsWith("\r\n\r\nsecond, longer version", await Get());
        File.Delete(path);
        File.CreateSymbolicLink(path, Path.Combine(_outside.FullName, "secret.txt"));
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", await Get());
        File.Delete(path);
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", await Get());
    }

    private static int HeadLength(byte[] response)
    {
        int end = response.AsSpan().IndexOf("\r\n\r\n"u8);
        return end < 0 ? int.MaxValue / 2 : end + 4;
    }

    [Theory]
    [InlineData("/missing.txt")]
    [InlineData("/../secret.txt")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/sub/..%2f..%2fsecret.txt")]
    [InlineData("/link-out.txt")]
    [InlineData("/dir-link/secret.txt")]
    [InlineData("/%00")]
    public async Task Nothing_outside_the_root_is_served(string path)
    {
        File.WriteAllText(Path.Combine(_outside.FullName, "secret.txt"), "secret");
        Directory.CreateDirectory(Path.Combine(_root.FullName, "sub"));
        File.CreateSymbolicLink(Path.Combine(_root.FullName, "link-out.txt"), Path.Combine(_outside.FullName, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root.FullName, "dir-link"), _outside.FullName);
        // The secret sits right next to the root too, for the ../ attempts.
        var sibling = Path.Combine(Path.GetDirectoryName(_root.FullName)!, "secret.txt");
        var app = new HttpApp(_root.FullName);
        Assert.Null(app.Resolve(path));

        using var rig = new AppRig();
        using var service = new TcpService(rig.Server, HttpApp.DefaultPort, app.Serve);
        var connection = await rig.ConnectAsync(HttpApp.DefaultPort);
        var response = new Collector(connection);
        await connection.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nConnection: close\r\n\r\n"));
        await response.Ended.WaitAsync(AppRig.Patience);
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", response.Text);
        Assert.DoesNotContain("secret\n", response.Text.Replace("secret.txt", ""));
        Assert.False(File.Exists(sibling) && response.Text.Contains(File.ReadAllText(sibling)));
    }

    [Fact]
    public async Task Directories_serve_their_index_and_links_inside_the_root_are_followed()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "docs"));
        File.WriteAllText(Path.Combine(_root.FullName, "docs", "index.html"), "<p>docs</p>");
        File.CreateSymbolicLink(Path.Combine(_root.FullName, "alias.html"), Path.Combine(_root.FullName, "docs", "index.html"));
        var app = new HttpApp(_root.FullName);
        Assert.NotNull(app.Resolve("/docs/"));
        Assert.NotNull(app.Resolve("/docs"));
        Assert.NotNull(app.Resolve("/alias.html"));
        Assert.NotNull(app.Resolve("/docs/index%2Ehtml"));
    }

    [Fact]
    public async Task HEAD_other_methods_and_malformed_requests_are_answered_properly()
    {
        File.WriteAllBytes(Path.Combine(_root.FullName, "f.bin"), new byte[1000]);
        using var rig = new AppRig();
        using var service = new TcpService(rig.Server, HttpApp.DefaultPort, new HttpApp(_root.FullName).Serve);

        var connection = await rig.ConnectAsync(HttpApp.DefaultPort);
        var responses = new Collector(connection);
        await connection.SendAsync("HEAD /f.bin HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /f.bin HTTP/2.0\r\n\r\n"u8.ToArray());
        await responses.Ended.WaitAsync(AppRig.Patience);
        var text = responses.Text;
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text);
        Assert.Contains("Content-Length: 1000\r\n", text);
        Assert.Contains("HTTP/1.1 405 Method Not Allowed\r\n", text);
        Assert.Contains("Allow: GET, HEAD\r\n", text);
        Assert.Contains("HTTP/1.1 505 HTTP Version Not Supported\r\n", text); // and then the close
        Assert.DoesNotContain("\0", text, StringComparison.Ordinal); // no body after HEAD

        var garbage = await rig.ConnectAsync(HttpApp.DefaultPort);
        var answer = new Collector(garbage);
        await garbage.SendAsync("hello there\r\n\r\n"u8.ToArray());
        await answer.Ended.WaitAsync(AppRig.Patience);
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer.Text);
    }

    [Fact]
    public async Task Fetch_reads_chunked_and_close_delimited_bodies_and_reports_non_2xx()
    {
        using var rig = new AppRig();
        var responses = new Dictionary<ushort, string>
        {
            [81] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n",
            [82] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close",
            [83] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
        };
        var listeners = responses.Select(r => rig.Server.Listen(r.Key).Subscribe(c =>
        {
            c.Received.Subscribe(_ => { }, _ => { });
            c.Send(Encoding.ASCII.GetBytes(r.Value)).Subscribe(_ => { }, _ => { }, c.Close);
        })).ToList();
        try
        {
            async Task<(FetchResult, string)> Fetch(int port)
            {
                var output = new MemoryStream();
                var result = await HttpFetch.GetAsync(rig.Client, new Uri($"http://{AppRig.ServerAddress}:{port}/x"), output).WaitAsync(AppRig.Patience);
                return (result, Encoding.ASCII.GetString(output.ToArray()));
            }

            var (chunked, chunkedBody) = await Fetch(81);
            Assert.Equal(("chunked", "hello, world"), (chunked.Framing, chunkedBody));
            var (closed, closedBody) = await Fetch(82);
            Assert.Equal(("close", "until the close"), (closed.Framing, closedBody));
            var (missing, missingBody) = await Fetch(83);
            Assert.Equal((404, false, "nope"), (missing.StatusCode, missing.Succeeded, missingBody));
        }
        finally
        {
            listeners.ForEach(l => l.Dispose());
        }
    }

    [Fact]
    public async Task Fetch_reports_a_body_cut_short()
    {
        using var rig = new AppRig();
        using var listener = rig.Server.Listen(80).Subscribe(c =>
        {
            c.Received.Subscribe(_ => { }, _ => { });
            c.Send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"u8.ToArray()).Subscribe(_ => { }, _ => { }, c.Close);
        });
        var e = await Assert.ThrowsAsync<IOException>(() => HttpFetch.GetAsync(rig.Client, new Uri($"http://{AppRig.ServerAddress}/"), new MemoryStream()));
        Assert.Contains("after 9 of 100", e.Message);
    }

    [Theory]
    [InlineData("https://192.0.2.1/")]
    [InlineData("http://example.com/")]
    [InlineData("ftp://192.0.2.1/")]
    [InlineData("not a url")]
    public void Fetch_wants_an_http_url_with_an_IPv4_host(string url) =>
        Assert.NotNull(HttpFetch.Validate(url, out _, out _));

    [Fact]
    public void Heads_parse_with_CRLF_or_bare_LF_and_reject_folding()
    {
        Assert.True(HttpHead.TryParse("\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\nrest"u8, out var head, out int consumed));
        Assert.Equal("GET / HTTP/1.1", head!.StartLine);
        Assert.Equal("a", head["host"]);
        Assert.True(head.HasToken("Connection", "upgrade"));
        Assert.Equal("rest", Encoding.ASCII.GetString("\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\nrest"u8[consumed..]));
        Assert.True(HttpHead.TryParse("GET / HTTP/1.0\nA: 1\n\n"u8, out var bare, out _));
        Assert.Equal("1", bare!["a"]);
        Assert.False(HttpHead.TryParse("GET / HTTP/1.1\r\nHost: a\r\n"u8, out _, out _));
        Assert.Throws<HttpFormatException>(() => HttpHead.TryParse("GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n"u8, out _, out _));
        Assert.True(HttpHead.TryParse("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n"u8, out var twice, out _));
        Assert.Equal(5, twice!.ContentLength);
        Assert.True(HttpHead.TryParse("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"u8, out var conflict, out _));
        Assert.Throws<HttpFormatException>(() => conflict!.ContentLength);
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}

/// <summary>Passes a stack's packets on and keeps the TCP payload of each one it sends.</summary>
internal sealed class PayloadWatch(ILink inner) : ILink
{
    private readonly List<byte[]> _payloads = [];

    public IObservable<ReadOnlyMemory<byte>> Inbound => inner.Inbound;

    public int Mtu => inner.Mtu;

    /// <summary>The non-empty TCP payloads sent so far, oldest first.</summary>
    public List<byte[]> Payloads()
    {
        lock (_payloads) return _payloads.ToList();
    }

    public void Send(ReadOnlyMemory<byte> packet)
    {
        Record(packet.Span);
        inner.Send(packet);
    }

    public void Send(Reactive.Tcp.Wire.PooledPacket packet)
    {
        Record(packet.Memory.Span);
        inner.Send(packet);
    }

    public void Dispose() => inner.Dispose();

    private void Record(ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 40 || ip[9] != 6) return;
        int ihl = (ip[0] & 0xF) * 4;
        int total = (ip[2] << 8) | ip[3];
        int tcpHeader = (ip[ihl + 12] >> 4) * 4;
        if (total - ihl - tcpHeader is > 0 and var length)
            lock (_payloads) _payloads.Add(ip.Slice(ihl + tcpHeader, length).ToArray());
    }
}
