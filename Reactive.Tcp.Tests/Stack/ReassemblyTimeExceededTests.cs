using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Network;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>
/// ICMP Time Exceeded / fragment reassembly time exceeded (RFC 792 type 11 code 1): sent when a
/// datagram whose first fragment arrived times out in reassembly, never otherwise, and under the
/// stack's ICMP error budget.
/// </summary>
public sealed class ReassemblyTimeExceededTests
{
    private static readonly IPv4Address Us = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address Peer = IPv4Address.Parse("192.0.2.2");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private sealed class Rig : IDisposable
    {
        public readonly TestScheduler Scheduler = new();
        public readonly CapturingLink Link;
        public readonly TcpStack Stack;

        public Rig(IcmpErrorOptions? icmp = null)
        {
            Link = new CapturingLink(Scheduler);
            Stack = new TcpStack(Link, new TcpStackOptions
            {
                Address = Us,
                Reassembly = FragmentReassemblyOptions.Default with { Timeout = Timeout },
                IcmpErrors = icmp ?? IcmpErrorOptions.Default,
            }, Scheduler);
        }

        /// <summary>Every ICMP message the stack sent of type 11.</summary>
        public List<byte[]> TimeExceeded() => Link.SentPackets.Select(p => p.Packet)
            .Where(p => p.Length > 21 && p[9] == (byte)IpProtocol.Icmp && p[20] == (byte)IcmpType.TimeExceeded).ToList();

        public void Dispose()
        {
            Stack.Dispose();
            Link.Dispose();
        }
    }

    private static byte[][] UdpFragments(ushort id, IPv4Address? source = null)
    {
        var packet = PacketBuilder.BuildUdp(source ?? Peer, Us, 5000, 7000, new byte[3000]);
        Ipv4Fragmenter.SetIdentification(packet, id);
        return Ipv4Fragmenter.Fragment(packet, 1500);
    }

    [Fact]
    public void A_datagram_whose_first_fragment_came_is_answered_when_it_times_out_quoting_that_fragment()
    {
        using var rig = new Rig();
        var fragments = UdpFragments(id: 41);
        Assert.Equal(3, fragments.Length);
        rig.Link.Inject(fragments[0]);
        rig.Link.Inject(fragments[2]);
        rig.Scheduler.AdvanceBy(Timeout.Ticks - 1);
        Assert.Empty(rig.TimeExceeded());

        rig.Scheduler.AdvanceBy(1);
        var error = Assert.Single(rig.TimeExceeded());
        Assert.Equal(PacketBuilder.DefaultTtl, error[8]);
        Assert.Equal(Us, IPv4Address.Read(error.AsSpan(12)));
        Assert.Equal(Peer, IPv4Address.Read(error.AsSpan(16)));
        Assert.Equal(1, error[21]); // code: fragment reassembly time exceeded
        Assert.Equal([0, 0, 0, 0], error[24..28]); // unused
        Assert.Equal(fragments[0][..28], error[28..]); // the first fragment's header and first 8 data bytes (the UDP header)
        Assert.Equal(0, Checksum.Fold(Checksum.Add(0, error.AsSpan(20)))); // a valid ICMP checksum sums to zero (complemented)
        Assert.Equal(0, Checksum.Fold(Checksum.Add(0, error.AsSpan(0, 20))));
        Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentTimeout]);
        Assert.Equal(1, rig.Stack.Counters.IcmpErrorsSent);
    }

    [Fact]
    public void Without_the_first_fragment_a_timeout_is_silent()
    {
        using var rig = new Rig();
        var fragments = UdpFragments(id: 42);
        rig.Link.Inject(fragments[1]);
        rig.Link.Inject(fragments[2]);
        rig.Scheduler.AdvanceBy(Timeout.Ticks);
        Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentTimeout]);
        Assert.Empty(rig.TimeExceeded());
        Assert.Equal(0, rig.Stack.Counters.IcmpErrorsSent);
    }

    [Fact]
    public void A_completed_datagram_or_a_switched_off_option_sends_nothing()
    {
        using (var rig = new Rig())
        {
            foreach (var f in UdpFragments(id: 43)) rig.Link.Inject(f);
            rig.Scheduler.AdvanceBy(Timeout.Ticks * 2);
            Assert.Empty(rig.TimeExceeded());
        }
        using (var rig = new Rig(IcmpErrorOptions.Default with { SendReassemblyTimeExceeded = false }))
        {
            rig.Link.Inject(UdpFragments(id: 44)[0]);
            rig.Scheduler.AdvanceBy(Timeout.Ticks);
            Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentTimeout]);
            Assert.Empty(rig.TimeExceeded());
        }
    }

    [Fact]
    public void Timeouts_share_the_icmp_error_budget()
    {
        using var rig = new Rig();
        for (ushort id = 100; id < 110; id++) rig.Link.Inject(UdpFragments(id)[0]);
        rig.Scheduler.AdvanceBy(Timeout.Ticks);
        Assert.Equal(10, rig.Stack.Drops[DropReason.FragmentTimeout]);
        Assert.Equal(6, rig.TimeExceeded().Count); // the burst
        Assert.Equal(4, rig.Stack.Counters.IcmpErrorsSuppressed);
    }

    [Fact]
    public void A_fragmented_icmp_error_is_never_answered_with_another()
    {
        using var rig = new Rig();
        // An ICMP Destination Unreachable quoting a big packet, sent in two fragments of which only the first arrives.
        var quoted = PacketBuilder.BuildUdp(Us, Peer, 7000, 5000, new byte[2000]);
        var body = new byte[IcmpCodec.ErrorHeaderLength + quoted.Length];
        IcmpCodec.WriteDestinationUnreachable(body, UnreachableCode.Port, 0, quoted);
        var header = new Ipv4Header { Source = Peer, Destination = Us, Protocol = IpProtocol.Icmp, Identification = 9, Ttl = 64 };
        rig.Link.Inject(Ipv4Fragmenter.Build(header, 0, true, body.AsSpan(0, 1480)));
        rig.Scheduler.AdvanceBy(Timeout.Ticks);
        Assert.Equal(1, rig.Stack.Drops[DropReason.FragmentTimeout]);
        Assert.Empty(rig.TimeExceeded());

        // A fragmented echo request, on the other hand, is answered.
        var echo = new byte[IcmpCodec.EchoHeaderLength + 2000];
        IcmpCodec.WriteEchoRequest(echo, 1, 1, new byte[2000]);
        rig.Link.Inject(Ipv4Fragmenter.Build(header with { Identification = 10 }, 0, true, echo.AsSpan(0, 1480)));
        rig.Scheduler.AdvanceBy(Timeout.Ticks);
        Assert.Single(rig.TimeExceeded());
    }
}
