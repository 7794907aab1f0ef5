#!/usr/bin/env -S dotnet run
#:project ../Reactive.Tcp/Reactive.Tcp.csproj
#:package Microsoft.Extensions.Logging.Console

// Watching a stack: the live connection table (a DynamicData-shaped change set), the
// System.Diagnostics.Metrics instruments (what dotnet-counters shows for the "Reactive.Tcp" meter),
// and the log of abnormal endings, while a few connections come and go.
// Run: dotnet run samples/connection-table.cs
using System.Diagnostics.Metrics;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Microsoft.Extensions.Logging;
using Reactive.Tcp.Diagnostics;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

using var loop = new EventLoopScheduler();
using var wire = new VirtualWire(loop);
var tcp = TcpConfig.Default with { Msl = TimeSpan.FromMilliseconds(100) };
using var server = new TcpStack(wire.EndA, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.1"), Tcp = tcp }, loop);
using var client = new TcpStack(wire.EndB, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.2"), Tcp = tcp }, loop);

// netstat, as a stream: the current rows as Adds, then every change.
using var table = server.Connections.Connect().Subscribe(changes =>
{
    foreach (var change in changes)
        Console.WriteLine($"  {change.Reason,-6} {change.Current.Key}  {RxTcpMetrics.StateName(change.Current.State)}");
});

// Aborts and resets are logged as warnings; any ILoggerFactory works, e.g. a host's.
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
using var logging = server.LogEvents(loggerFactory);

using var metrics = new RxTcpMetrics();
using var registration = metrics.Add(server);

using var listening = server.Listen(80).Subscribe(c => c.Received.Subscribe(_ => { }, _ => { }, c.Close));
var first = await client.Connect("192.0.2.1", 80).FirstAsync();
var second = await client.Connect("192.0.2.1", 80).FirstAsync();
await first.SendAsync(new byte[100_000]);
first.Close();                                           // graceful: FIN both ways
second.Abort();                                          // RST: the server logs an abnormal end
await first.States.LastOrDefaultAsync();
await Task.Delay(500);

using var listener = new MeterListener();
listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter == metrics.Meter) l.EnableMeasurementEvents(instrument); };
listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Console.WriteLine($"  {i.Name} {value} {string.Join(' ', tags.ToArray().Skip(1).Select(t => t.Value))}"));
listener.SetMeasurementEventCallback<int>((i, value, tags, _) => { if (value != 0) Console.WriteLine($"  {i.Name} {value} {tags[1].Value}"); });
listener.Start();
listener.RecordObservableInstruments();

