using System.Reactive.Linq;
using System.Text;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Diagnostics;

namespace Reactive.Tcp.Tests.Diagnostics;

/// <summary>
/// Two stacks on a virtual wire (1 ms each way) in virtual time, the traffic recorded to pcap by
/// <see cref="PcapLink"/>s: the client says "hello", the server answers "world", both close.
/// </summary>
internal static class CapturedExchange
{
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");
    public const ushort Port = 80;

    /// <summary>The capture's bytes: the server's link only (one capture point), or both links (every packet seen sent and delivered).</summary>
    public static byte[] Record(bool bothSides, double loss = 0)
    {
        var scheduler = new TestScheduler();
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            var delay = new Impairments { Delay = TimeSpan.FromMilliseconds(1), Loss = loss, Seed = 3 };
            using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = delay, BToA = delay with { Seed = 4 } });
            ILink serverLink = wire.EndA.WithPcap(writer, scheduler);
            ILink clientLink = bothSides ? wire.EndB.WithPcap(writer, scheduler) : wire.EndB;
            var tcp = TcpConfig.Default with { IsnGenerator = (key, _) => key.LocalPort == Port ? 5000u : 1000u };
            using var server = new TcpStack(serverLink, new TcpStackOptions { Address = ServerAddress, Tcp = tcp, Seed = 1 }, scheduler);
            using var client = new TcpStack(clientLink, new TcpStackOptions { Address = ClientAddress, Tcp = tcp, Seed = 2 }, scheduler);

            server.Listen(Port).Subscribe(c =>
                c.Received.Subscribe(_ => c.Send(Encoding.ASCII.GetBytes("world")).Subscribe(_ => { }, _ => { }, c.Close), _ => { }, () => { }));
            scheduler.AdvanceBy(1);
            client.Connect(ServerAddress, Port).Subscribe(c =>
            {
                c.Received.Subscribe(_ => { }, _ => { }, () => { });
                c.Send(Encoding.ASCII.GetBytes("hello")).Subscribe(_ => { }, _ => { }, () => { });
                c.States.Where(s => s == TcpState.CloseWait).Subscribe(_ => c.Close());
            });
            scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks);
        }
        return stream.ToArray();
    }
}
