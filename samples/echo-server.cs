#!/usr/bin/env -S dotnet run
#:project ../Reactive.Tcp/Reactive.Tcp.csproj

// An echo server on one userspace stack and a client on another, joined by an in-memory wire:
// the server is pure Rx, the client is ordinary .NET code (StreamReader/StreamWriter over AsStream()).
// Run: dotnet run samples/echo-server.cs
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;

const int lines = 5;

using var loop = new EventLoopScheduler();                // one thread runs both stacks and the wire
using var wire = new VirtualWire(loop);
using var server = new TcpStack(wire.EndA, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.1") }, loop);
using var client = new TcpStack(wire.EndB, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.2") }, loop);

// Server: every accepted connection sends back what it receives, one chunk at a time
// (Concat waits for each Send, so a slow client slows the server down), and closes after the client's FIN.
using var echo = server.Listen(7).Subscribe(connection =>
    connection.Received
        .Select(chunk => connection.Send(chunk.ToArray()))
        .Concat()
        .Subscribe(_ => { }, error => Console.Error.WriteLine($"server: {error.Message}"), connection.Close));

// Client: connect, then talk through a Stream like any socket code would.
var connection = await client.Connect("192.0.2.1", 7).FirstAsync();
Console.WriteLine($"connected {connection}");
await using var stream = connection.AsStream();
using var reader = new StreamReader(stream, leaveOpen: true);
await using var writer = new StreamWriter(stream, leaveOpen: true) { AutoFlush = true };
for (int i = 1; i <= lines; i++)
{
    await writer.WriteLineAsync($"hello #{i} over RxTcp");
    Console.WriteLine($"echo: {await reader.ReadLineAsync()}");
}
Console.WriteLine($"client: {client.Counters}");
