using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Network;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>ICMP errors the stack sends (port unreachable, rate limited) and ones it receives without a connection to match.</summary>
public class IcmpErrorTests
{
    private static readonly IPv4Address Us = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address Peer = IPv4Address.Parse("192.0.2.2");

    private sealed class Rig : IDisposable
    {
        public readonly TestScheduler Scheduler = new();
        public readonly CapturingLink Link;
        public readonly TcpStack Stack;

        public Rig(IcmpErrorOptions? icmp = null)
        {
            Link = new CapturingLink(Scheduler);
            Stack = new TcpStack(Link, new TcpStackOptions { Address = Us, IcmpErrors = icmp ?? IcmpErrorOptions.Default }, Scheduler);
        }

        public List<InboundPacket> SentErrors() => Link.SentPackets
            .Select(p => PacketParser.Parse(p.Packet, out var parsed) == DropReason.None ? parsed : default)
            .Where(p => p.Kind == PacketKind.IcmpError)
            .ToList();

        public void Dispose()
        {
            Stack.Dispose();
            Link.Dispose();
        }
    }

    private static byte[] Udp(ushort port, IPv4Address? source = null, int length = 40) =>
        PacketBuilder.BuildUdp(source ?? Peer, Us, 5353, port, new byte[length]);

    [Fact]
    public void Udp_to_an_unbound_port_is_answered_with_port_unreachable_quoting_header_and_8_bytes()
    {
        using var rig = new Rig();
        var datagram = Udp(9999);
        rig.Link.Inject(datagram);

        var error = Assert.Single(rig.SentErrors());
        Assert.Equal(Us, error.Ip.Source);
        Assert.Equal(Peer, error.Ip.Destination);
        Assert.Equal(UnreachableCode.Port, error.IcmpError.Code);
        Assert.Equal(IpProtocol.Udp, error.IcmpError.QuotedProtocol);
        Assert.Equal(9999, error.IcmpError.QuotedDestinationPort);
        Assert.Equal(datagram[..28], error.Packet[28..].ToArray());
        Assert.Equal(1, rig.Stack.Counters.IcmpErrorsSent);
        Assert.Equal(1, rig.Stack.Drops[DropReason.NoConnection]);
    }

    [Fact]
    public void A_bound_port_gets_no_error()
    {
        using var rig = new Rig();
        using var bound = rig.Stack.ReceiveUdp(9999).Subscribe(_ => { });
        rig.Link.Inject(Udp(9999));
        Assert.Empty(rig.SentErrors());
    }

    [Fact]
    public void Errors_are_rate_limited_by_a_token_bucket_on_the_stacks_clock()
    {
        using var rig = new Rig();
        for (int i = 0; i < 20; i++) rig.Link.Inject(Udp(9999));
        Assert.Equal(6, rig.SentErrors().Count); // the burst
        Assert.Equal(14, rig.Stack.Counters.IcmpErrorsSuppressed);

        rig.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(999).Ticks);
        rig.Link.Inject(Udp(9999));
        Assert.Equal(6, rig.SentErrors().Count);
        rig.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(1).Ticks);
        rig.Link.Inject(Udp(9999));
        Assert.Equal(7, rig.SentErrors().Count); // one token a second

        rig.Scheduler.AdvanceBy(TimeSpan.FromMinutes(1).Ticks);
        for (int i = 0; i < 20; i++) rig.Link.Inject(Udp(9999));
        Assert.Equal(13, rig.SentErrors().Count); // the bucket refills to the burst, no further
    }

    [Theory]
    [InlineData("255.255.255.255")]
    [InlineData("224.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.1")]
    public void No_error_goes_to_a_source_that_is_not_one_host(string source)
    {
        using var rig = new Rig();
        rig.Link.Inject(Udp(9999, IPv4Address.Parse(source)));
        Assert.Empty(rig.SentErrors());
        Assert.Equal(1, rig.Stack.Drops[DropReason.NoConnection]);
    }

    [Fact]
    public void Errors_can_be_switched_off()
    {
        using var rig = new Rig(IcmpErrorOptions.Default with { SendPortUnreachable = false });
        rig.Link.Inject(Udp(9999));
        Assert.Empty(rig.SentErrors());
    }

    [Fact]
    public void A_fragmented_datagram_to_an_unbound_port_gets_one_error_after_reassembly_and_none_per_fragment()
    {
        using var rig = new Rig();
        var packet = Udp(9999, length: 3000);
        Ipv4Fragmenter.SetIdentification(packet, 42);
        var fragments = Ipv4Fragmenter.Fragment(packet, 1500);
        rig.Link.Inject(fragments[1]);
        rig.Link.Inject(fragments[2]);
        Assert.Empty(rig.SentErrors()); // RFC 1122 §3.2.2: never about a non-first fragment
        rig.Link.Inject(fragments[0]);
        var error = Assert.Single(rig.SentErrors());
        Assert.True(error.IcmpError.QuotesTransportHeader);
        Assert.Equal(9999, error.IcmpError.QuotedDestinationPort);
    }

    [Fact]
    public void Icmp_errors_are_never_answered_with_icmp_errors()
    {
        using var rig = new Rig();
        var ours = PacketBuilder.BuildUdp(Us, Peer, 9999, 5353, new byte[10]);
        rig.Link.Inject(PacketBuilder.BuildDestinationUnreachable(Peer, ours, UnreachableCode.Port));
        Assert.Empty(rig.SentErrors());
        Assert.Equal(1, rig.Stack.Counters.IcmpErrorsReceived);
    }

    [Fact]
    public void Fragmentation_needed_for_no_connection_is_counted_and_dropped()
    {
        using var rig = new Rig();
        var segment = new TcpSegment { SourcePort = 80, DestinationPort = 40000, Seq = new SeqNum(1), Ack = new SeqNum(1), Flags = TcpFlags.Ack, Payload = new byte[1400] };
        var ours = PacketBuilder.BuildTcp(Us, Peer, segment);
        rig.Link.Inject(PacketBuilder.BuildDestinationUnreachable(IPv4Address.Parse("203.0.113.1"), ours, UnreachableCode.FragmentationNeeded, 1280));
        Assert.Equal(1, rig.Stack.Drops[DropReason.IcmpNoConnection]);

        // Quoting a packet that was not ours at all.
        var theirs = PacketBuilder.BuildTcp(IPv4Address.Parse("192.0.2.77"), Peer, segment);
        var misdirected = PacketBuilder.BuildDestinationUnreachable(IPv4Address.Parse("203.0.113.1"), theirs, UnreachableCode.FragmentationNeeded, 1280);
        Us.Write(misdirected.AsSpan(16)); // sent to us anyway
        Ipv4Fragmenter.SetIdentification(misdirected, 1); // and the header checksum fixed
        rig.Link.Inject(misdirected);
        Assert.Equal(2, rig.Stack.Drops[DropReason.IcmpNoConnection]);
        Assert.Empty(rig.SentErrors());
        Assert.Equal(0, rig.Stack.Counters.PipelineFaults);
    }
}
