using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Reactive.Tcp.Api;
using Reactive.Tcp.Http;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Integration;

/// <summary>
/// The real <see cref="HttpClient"/> (SocketsHttpHandler with <see cref="RxTcpHttp"/>'s connect
/// callback) against a small HTTP/1.1 server written on the stack API with StreamReader, in real time.
/// </summary>
public class HttpClientTests
{
    private const int BigSize = 3 * 1024 * 1024 + 17;
    private static readonly byte[] Big = MakeBody(BigSize);

    [Fact]
    public async Task HttpClient_fetches_several_resources_over_one_kept_alive_connection()
    {
        using var stacks = new RealTimeStacks();
        int accepted = 0;
        using var server = ServeHttp(stacks.Server, 80, () => Interlocked.Increment(ref accepted));
        using var http = RxTcpHttp.CreateClient(stacks.Client);
        http.Timeout = TimeSpan.FromSeconds(30);

        for (int i = 0; i < 5; i++)
        {
            var response = await http.GetAsync($"http://192.0.2.1/hello?n={i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"hello {i}", await response.Content.ReadAsStringAsync());
        }

        var big = await http.GetByteArrayAsync("http://192.0.2.1/big");
        Assert.Equal(BigSize, big.Length);
        Assert.Equal(SHA256.HashData(Big), SHA256.HashData(big));

        // Sequential requests on a pooled handler reuse the one connection (keep-alive).
        Assert.Equal(1, Volatile.Read(ref accepted));
        Assert.Equal(1, stacks.Client.Connections.Count);
    }

    [Fact]
    public async Task Parallel_requests_open_parallel_connections_and_all_bodies_arrive_intact()
    {
        using var stacks = new RealTimeStacks();
        int accepted = 0;
        using var server = ServeHttp(stacks.Server, 8080, () => Interlocked.Increment(ref accepted));
        using var http = RxTcpHttp.CreateClient(stacks.Client);
        http.Timeout = TimeSpan.FromSeconds(60);

        var bodies = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => http.GetByteArrayAsync("http://192.0.2.1:8080/big")));
        foreach (var body in bodies) Assert.Equal(SHA256.HashData(Big), SHA256.HashData(body));
        Assert.InRange(Volatile.Read(ref accepted), 2, 4);
    }

    [Fact]
    public async Task Refused_connect_surfaces_as_HttpRequestException_with_ConnectionRefused()
    {
        using var stacks = new RealTimeStacks();
        using var http = RxTcpHttp.CreateClient(stacks.Client);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://192.0.2.1:81/"));
        Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
        Assert.Contains("192.0.2.1:81", error.Message);
    }

    [Fact]
    public async Task Host_names_go_through_the_resolver()
    {
        using var stacks = new RealTimeStacks();
        using var server = ServeHttp(stacks.Server, 80, () => { });
        using var http = RxTcpHttp.CreateClient(stacks.Client, endPoint => endPoint.Host == "server.example" ? RealTimeStacks.ServerAddress : throw new HttpRequestException("unknown host"));
        Assert.Equal("hello x", await http.GetStringAsync("http://server.example/hello?n=x"));

        using var literalOnly = RxTcpHttp.CreateClient(stacks.Client);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => literalOnly.GetStringAsync("http://server.example/"));
        Assert.Equal(HttpRequestError.NameResolutionError, error.HttpRequestError);
    }

    [Fact]
    public async Task Cancelling_a_request_to_a_silent_server_abandons_the_connection_attempt()
    {
        // Every packet lost: the SYN is never answered, so only cancellation can end the attempt.
        using var stacks = new RealTimeStacks(wire: Reactive.Tcp.Links.VirtualWireOptions.Symmetric(new Reactive.Tcp.Links.Impairments { Loss = 1.0 }));
        using var http = RxTcpHttp.CreateClient(stacks.Client);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.GetAsync("http://192.0.2.1/", cts.Token));
        Assert.True(await RealTimeStacks.Eventually(() => stacks.Client.ConnectionCount == 0), "the abandoned attempt should be gone");
    }

    internal static byte[] MakeBody(int size)
    {
        var body = new byte[size];
        new Random(6).NextBytes(body);
        return body;
    }

    /// <summary>
    /// A deliberately plain HTTP/1.1 server on the stack API: StreamReader for the head,
    /// Content-Length bodies, keep-alive until the client closes.
    /// </summary>
    private static IDisposable ServeHttp(TcpStack stack, ushort port, Action onAccept) =>
        stack.Listen(port).Subscribe(connection =>
        {
            onAccept();
            _ = Task.Run(() => ServeConnection(connection));
        });

    private static async Task ServeConnection(TcpConnection connection)
    {
        await using var stream = connection.AsStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        try
        {
            while (await reader.ReadLineAsync() is { Length: > 0 } requestLine)
            {
                while (await reader.ReadLineAsync() is { Length: > 0 }) { } // headers: GETs only, so no body to skip
                var target = requestLine.Split(' ')[1];
                byte[] body = target.StartsWith("/big", StringComparison.Ordinal)
                    ? Big
                    : Encoding.ASCII.GetBytes($"hello {target[(target.IndexOf('=') + 1)..]}");
                var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length}\r\n\r\n");
                await stream.WriteAsync(head);
                await stream.WriteAsync(body);
            }
        }
        catch (IOException)
        {
            // The client went away (reset): nothing to answer.
        }
    }
}
