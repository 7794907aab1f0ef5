<Query Kind="Statements">
  <Reference Relative="..\Reactive.Tcp\bin\Debug\net10.0\Reactive.Tcp.dll">..\Reactive.Tcp\bin\Debug\net10.0\Reactive.Tcp.dll</Reference>
  <NuGetReference Version="7.0.0">System.Reactive</NuGetReference>
  <NuGetReference Version="11.0.0">Microsoft.Extensions.Logging.Abstractions</NuGetReference>
  <Namespace>System.Reactive.Concurrency</Namespace>
  <Namespace>System.Reactive.Linq</Namespace>
  <Namespace>Reactive.Tcp.Links</Namespace>
  <Namespace>Reactive.Tcp.Stack</Namespace>
  <Namespace>Reactive.Tcp.Tcp</Namespace>
  <Namespace>Reactive.Tcp.Wire</Namespace>
</Query>

// A connection in virtual time: a HistoricalScheduler drives both stacks over a wire with 50 ms
// of one-way delay, so the run takes no wall-clock time and every timestamp is exact. The client's
// state changes are drawn as a marble line (one character per 10 ms) and checked like a test would.
// Run: dotnet run samples/marble-test.cs

var scheduler = new HistoricalScheduler(DateTimeOffset.UnixEpoch);
var delay = new Impairments { Delay = TimeSpan.FromMilliseconds(50) };
using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = delay, BToA = delay });
var tcp = TcpConfig.Default with { Msl = TimeSpan.FromMilliseconds(100) };
using var server = new TcpStack(wire.EndA, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.1"), Tcp = tcp }, scheduler);
using var client = new TcpStack(wire.EndB, new TcpStackOptions { Address = IPv4Address.Parse("192.0.2.2"), Tcp = tcp }, scheduler);

using var listening = server.Listen(80).Subscribe(c => c.Received.Subscribe(_ => { }, c.Close));
var events = new List<(TimeSpan At, TcpState State)>();
var start = scheduler.Now;
client.Connect("192.0.2.1", 80).Subscribe(connection =>
{
    connection.States.Subscribe(state => events.Add((scheduler.Now - start, state)));
    connection.Send("hello"u8.ToArray()).Subscribe(_ => connection.Close());
});
scheduler.AdvanceBy(TimeSpan.FromSeconds(2));

// E ESTABLISHED, 1 FIN-WAIT-1, 2 FIN-WAIT-2, T TIME-WAIT, | CLOSED; (ab) = at the same time, as in Rx marbles
static char Symbol(TcpState s) => s switch
{
    TcpState.Established => 'E', TcpState.FinWait1 => '1', TcpState.FinWait2 => '2', TcpState.TimeWait => 'T',
    TcpState.Closed => '|', _ => '?',
};
var marble = new System.Text.StringBuilder();
for (int slot = 0; slot <= (int)(events[^1].At.TotalMilliseconds / 10); slot++)
{
    var here = events.Where(e => (int)(e.At.TotalMilliseconds / 10) == slot).Select(e => Symbol(e.State)).ToArray();
    marble.Append(here.Length switch { 0 => "-", 1 => here[0].ToString(), _ => $"({new string(here)})" });
}
Console.WriteLine($"client: {marble}");
foreach (var (at, state) in events) Console.WriteLine($"  {at.TotalMilliseconds,5} ms  {state}");

// One round trip (100 ms) to connect, data and FIN in the next, then TIME-WAIT (2 x MSL = 200 ms).
var expected = new[] { TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.TimeWait, TcpState.Closed };
bool ok = events.Select(e => e.State).SequenceEqual(expected) && events[0].At == TimeSpan.FromMilliseconds(100);
Console.WriteLine(ok ? "PASS" : "FAIL");
Environment.ExitCode = ok ? 0 : 1;
