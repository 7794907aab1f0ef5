using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Linux;
using Reactive.Tcp.Tests.Stack;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Integration;

/// <summary>
/// A server stack (192.0.2.1) and a client stack (192.0.2.2) on one real-time event loop, joined by a
/// virtual wire: what .NET consumers (HttpClient, Kestrel) see when they run over RxTcp in one process.
/// </summary>
internal sealed class RealTimeStacks : IDisposable
{
    public RealTimeStacks(TcpConfig? tcp = null, VirtualWireOptions? wire = null)
    {
        // A short MSL so TIME-WAIT blocks left by one test do not linger for minutes.
        var config = tcp ?? TcpConfig.Default with { Msl = TimeSpan.FromMilliseconds(250) };
        Scheduler = new RealTimeScheduler();
        Wire = new VirtualWire(Scheduler, wire);
        Server = new TcpStack(Wire.EndA, new TcpStackOptions { Address = TwoStackHarness.ServerAddress, Tcp = config, Seed = 1 }, Scheduler);
        Client = new TcpStack(Wire.EndB, new TcpStackOptions { Address = TwoStackHarness.ClientAddress, Tcp = config, Seed = 2 }, Scheduler);
    }

    public static IPv4Address ServerAddress => TwoStackHarness.ServerAddress;
    public static IPv4Address ClientAddress => TwoStackHarness.ClientAddress;

    public RealTimeScheduler Scheduler { get; }
    public VirtualWire Wire { get; }
    public TcpStack Server { get; }
    public TcpStack Client { get; }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; false after <paramref name="timeout"/>.</summary>
    public static async Task<bool> Eventually(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(20);
        }
        return true;
    }

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        Wire.Dispose();
        Scheduler.Dispose();
    }
}
