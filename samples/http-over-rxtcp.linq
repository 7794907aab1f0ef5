<Query Kind="Statements">
  <Reference Relative="..\Reactive.Tcp\bin\Debug\net10.0\Reactive.Tcp.dll">..\Reactive.Tcp\bin\Debug\net10.0\Reactive.Tcp.dll</Reference>
  <Reference Relative="..\Reactive.Tcp.AspNetCore\bin\Debug\net10.0\Reactive.Tcp.AspNetCore.dll">..\Reactive.Tcp.AspNetCore\bin\Debug\net10.0\Reactive.Tcp.AspNetCore.dll</Reference>
  <NuGetReference Version="7.0.0">System.Reactive</NuGetReference>
  <NuGetReference Version="11.0.0">Microsoft.Extensions.Logging.Abstractions</NuGetReference>
  <Namespace>Microsoft.AspNetCore.Builder</Namespace>
  <Namespace>Microsoft.AspNetCore.Hosting</Namespace>
  <Namespace>Microsoft.AspNetCore.Http</Namespace>
  <Namespace>Microsoft.Extensions.DependencyInjection</Namespace>
  <Namespace>Microsoft.Extensions.Hosting</Namespace>
  <Namespace>Microsoft.Extensions.Logging</Namespace>
  <Namespace>System.Reactive.Concurrency</Namespace>
  <Namespace>Reactive.Tcp.AspNetCore</Namespace>
  <Namespace>Reactive.Tcp.Http</Namespace>
  <Namespace>Reactive.Tcp.Links</Namespace>
  <Namespace>Reactive.Tcp.Stack</Namespace>
  <Namespace>Reactive.Tcp.Wire</Namespace>
  <IncludeAspNet>true</IncludeAspNet>
</Query>

// ASP.NET Core (Kestrel) serving a minimal API on one userspace stack, and HttpClient calling it
// from another, in one process with no sockets: both ends use the RxTcp integrations.
// Run: dotnet run samples/http-over-rxtcp.cs

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
