using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Reactive.Tcp.AspNetCore;
using Reactive.Tcp.Http;
using Reactive.Tcp.Stack;
using Xunit;

namespace Reactive.Tcp.Tests.Integration;

/// <summary>
/// Kestrel on the RxTcp transport, answering the real HttpClient over RxTcp: two stacks in one
/// process, a virtual wire, a real-time event loop.
/// </summary>
public class KestrelTests
{
    [Fact]
    public async Task Minimal_api_on_Kestrel_over_RxTcp_answers_HttpClient_over_RxTcp()
    {
        using var stacks = new RealTimeStacks();
        var errors = new ConcurrentQueue<string>();
        await using var app = BuildApp(stacks.Server, errors, gate: null);
        await app.StartAsync();
        using var http = RxTcpHttp.CreateClient(stacks.Client);
        http.Timeout = TimeSpan.FromSeconds(30);

        Assert.Equal("hello from Kestrel", await http.GetStringAsync("http://192.0.2.1/"));
        // Kestrel sees the connection's endpoints through the transport's features.
        Assert.Equal("192.0.2.2 > 192.0.2.1:80", await http.GetStringAsync("http://192.0.2.1/who"));

        var payload = HttpClientTests.MakeBody(2 * 1024 * 1024 + 5);
        using var upload = await http.PostAsync("http://192.0.2.1/sha256", new ByteArrayContent(payload));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(payload)), await upload.Content.ReadAsStringAsync());

        var download = await http.GetByteArrayAsync("http://192.0.2.1/bytes/3000000");
        Assert.Equal(SHA256.HashData(HttpClientTests.MakeBody(3_000_000)), SHA256.HashData(download));

        // Everything above went over one kept-alive connection.
        Assert.Equal(1, stacks.Server.Counters.ConnectionsOpened);

        await app.StopAsync();
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Graceful_shutdown_finishes_the_request_in_flight_then_refuses_new_connections()
    {
        using var stacks = new RealTimeStacks();
        var errors = new ConcurrentQueue<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = BuildApp(stacks.Server, errors, gate);
        await app.StartAsync();
        Assert.Equal(1, stacks.Server.Listeners.Count);
        using var http = RxTcpHttp.CreateClient(stacks.Client);
        http.Timeout = TimeSpan.FromSeconds(30);

        var slow = http.GetStringAsync("http://192.0.2.1/slow");
        Assert.True(await RealTimeStacks.Eventually(() => stacks.Server.Counters.ConnectionsOpened == 1));
        await Task.Delay(100); // let the request reach the endpoint

        var stopping = app.StopAsync();
        // Unbinding stops listening at once, while the request in flight is still being served.
        Assert.True(await RealTimeStacks.Eventually(() => stacks.Server.Listeners.Count == 0), "Kestrel should unbind first");
        Assert.False(slow.IsCompleted);

        using var fresh = RxTcpHttp.CreateClient(stacks.Client);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetStringAsync("http://192.0.2.1/"));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, Assert.IsType<System.Net.Sockets.SocketException>(refused.InnerException).SocketErrorCode);

        gate.SetResult();
        Assert.Equal("finally", await slow.WaitAsync(TimeSpan.FromSeconds(10)));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        // Kestrel closed the kept-alive connection with FIN; HttpClient closes its half when it is
        // disposed (when it notices the FIN on its own depends on its pool's timing), so after both
        // a graceful close on each side leaves no connection block.
        http.Dispose();
        Assert.True(await RealTimeStacks.Eventually(() => stacks.Server.ConnectionCount == 0 && stacks.Client.ConnectionCount == 0),
            $"server {stacks.Server.ConnectionCount}, client {stacks.Client.ConnectionCount} connection blocks left");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Endpoints_on_other_addresses_stay_on_sockets_and_a_busy_port_fails_to_bind()
    {
        using var stacks = new RealTimeStacks();
        using var squatter = stacks.Server.Listen(80).Subscribe(_ => { });
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseRxTcp(stacks.Server, 80);
        await using var app = builder.Build();
        var factory = app.Services.GetServices<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>().OfType<RxTcpTransportFactory>().Single();
        Assert.True(factory.CanBind(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 80)));
        Assert.False(factory.CanBind(new IPEndPoint(IPAddress.Loopback, 80)));
        var error = await Assert.ThrowsAnyAsync<IOException>(() => app.StartAsync());
        Assert.Contains("192.0.2.1:80", error.ToString());
    }

    private static WebApplication BuildApp(TcpStack stack, ConcurrentQueue<string> errors, TaskCompletionSource? gate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ErrorCollector(errors));
        builder.WebHost.UseRxTcp(stack, 80);
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(10));
        var app = builder.Build();
        app.MapGet("/", () => "hello from Kestrel");
        app.MapGet("/who", (HttpContext context) =>
            $"{context.Connection.RemoteIpAddress} > {context.Connection.LocalIpAddress}:{context.Connection.LocalPort}");
        app.MapPost("/sha256", async (HttpRequest request) =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await request.Body.ReadAsync(buffer)) > 0) sha.AppendData(buffer, 0, n);
            return Convert.ToHexString(sha.GetHashAndReset());
        });
        app.MapGet("/bytes/{size:int}", (int size) => Results.Bytes(HttpClientTests.MakeBody(size), "application/octet-stream"));
        app.MapGet("/slow", async () =>
        {
            await gate!.Task;
            return "finally";
        });
        return app;
    }

    /// <summary>Kestrel logs connection faults rather than throwing them: collect them so the tests can fail on them.</summary>
    private sealed class ErrorCollector(ConcurrentQueue<string> errors) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) errors.Enqueue($"{logLevel} {eventId}: {formatter(state, exception)} {exception}");
        }
        public void Dispose() { }
    }
}
