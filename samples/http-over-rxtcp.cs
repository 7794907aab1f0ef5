#!/usr/bin/env -S dotnet run
#:sdk Microsoft.NET.Sdk.Web
#:project ../Reactive.Tcp.AspNetCore/Reactive.Tcp.AspNetCore.csproj

// ASP.NET Core (Kestrel) serving a minimal API on one userspace stack, and HttpClient calling it
// from another, in one process with no sockets: both ends use the RxTcp integrations.
// Run: dotnet run samples/http-over-rxtcp.cs
using System.Reactive.Concurrency;
using Reactive.Tcp.AspNetCore;
using Reactive.Tcp.Http;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;

using var loop = new EventLoopScheduler();
using var wire = new VirtualWire(loop);
using var serverStack = new TcpStack(wire.EndA, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.1") }, loop);
using var clientStack = new TcpStack(wire.EndB, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.2") }, loop);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseRxTcp(serverStack, 80);                // Kestrel listens on 192.0.2.1:80 of the stack
await using var app = builder.Build();
app.MapGet("/", () => "hello from Kestrel over RxTcp");
app.MapGet("/who", (HttpContext context) => $"you are {context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
app.MapPost("/length", async (HttpRequest request) =>
{
    long length = 0;
    var buffer = new byte[64 * 1024];
    for (int n; (n = await request.Body.ReadAsync(buffer)) > 0;) length += n;
    return $"received {length} bytes";
});
await app.StartAsync();

using var http = RxTcpHttp.CreateClient(clientStack);     // SocketsHttpHandler whose ConnectCallback uses the stack
Console.WriteLine(await http.GetStringAsync("http://192.0.2.1/"));
Console.WriteLine(await http.GetStringAsync("http://192.0.2.1/who"));
using var upload = await http.PostAsync("http://192.0.2.1/length", new ByteArrayContent(new byte[1_000_000]));
Console.WriteLine($"{(int)upload.StatusCode} {await upload.Content.ReadAsStringAsync()}");
Console.WriteLine($"server: {serverStack.Counters}");

await app.StopAsync();                                    // graceful: in-flight requests finish, the listener unbinds
