using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Tests.Interfaces;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// The TAP link against the Linux kernel, in a namespace each test creates: raw ARP frames built by
/// our codec, and the ARP cache answering and resolving the kernel, before any stack is involved.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public sealed class TapLinkTests(ITestOutputHelper output)
{
    private const string Device = "rxe0";
    private static readonly IPv4Address KernelIp = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address StackIp = IPv4Address.Parse("192.0.2.2");
    private static readonly IPv4Address NobodyIp = IPv4Address.Parse("192.0.2.77");
    private static readonly MacAddress KernelMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress StackMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static TapLink Open(NetworkNamespace ns, bool offload = false) =>
        ns.Invoke(() => new TapLink(new TapLinkOptions
        {
            Name = Device, Address = StackMac, KernelAddress = KernelIp, PrefixLength = 24, KernelHardwareAddress = KernelMac, Offload = offload,
        }));

    [LinuxRootFact]
    public void The_device_is_created_in_the_namespace_with_the_kernel_side_configured_and_removed_on_dispose()
    {
        using var ns = NetworkNamespace.Create("rxe");
        var link = Open(ns);
        try
        {
            var shown = ns.Run("ip", "addr", "show", "dev", Device).EnsureSuccess().StandardOutput;
            output.WriteLine(shown);
            Assert.Contains("link/ether 02:00:00:00:00:01", shown);
            Assert.Contains("inet 192.0.2.1/24", shown);
            Assert.Contains(",UP", shown);
            Assert.DoesNotContain("inet6", shown);
            Assert.Equal(Device, link.Name);
            Assert.Equal(StackMac, link.Address);
            // Not in the namespace this process lives in.
            Assert.False(Reactive.Tcp.Linux.ChildProcess.Run(["ip", "link", "show", Device], Patience).Succeeded, "an rxe0 device is visible outside the namespace");
        }
        finally
        {
            link.Dispose();
        }
        Assert.False(ns.Run("ip", "link", "show", Device).Succeeded, "the device outlived the link");
    }

    [LinuxRootFact]
    public void A_random_address_is_locally_administered_unicast()
    {
        using var ns = NetworkNamespace.Create("rxe");
        using var link = ns.Invoke(() => new TapLink(new TapLinkOptions { Name = Device }));
        Assert.True(link.Address.IsUnicast && link.Address.IsLocallyAdministered, link.Address.ToString());
        Assert.Throws<ArgumentException>(() => new TapLink(new TapLinkOptions { Address = MacAddress.Broadcast }));
    }

    [LinuxRootFact]
    public void The_kernel_answers_an_ARP_request_built_by_our_codec() => KernelAnswersOurRequest(offload: false);

    [LinuxRootFact]
    public void The_kernel_answers_an_ARP_request_through_an_offloading_device() => KernelAnswersOurRequest(offload: true);

    private void KernelAnswersOurRequest(bool offload)
    {
        using var ns = NetworkNamespace.Create("rxe");
        using var link = Open(ns, offload);
        var replies = new BlockingCollection<(EthernetHeader Header, ArpPacket Arp)>();
        using var subscription = link.Inbound.Subscribe(frame =>
        {
            if (EthernetCodec.TryParse(frame.Span, out var header) == DropReason.None && header.EtherType == EtherType.Arp
                && ArpCodec.TryParse(frame.Span[EthernetCodec.HeaderLength..], out var arp) == DropReason.None
                && arp.Operation == ArpOperation.Reply)
                replies.Add((header, arp));
        });

        link.Send(ArpCodec.BuildFrame(MacAddress.Broadcast, ArpPacket.Request(StackMac, StackIp, KernelIp)));

        Assert.True(replies.TryTake(out var reply, Patience), $"no ARP reply from the kernel; link read {link.FramesReceived} frames, {link.ReadErrors} errors");
        output.WriteLine($"{reply.Header}: {reply.Arp}");
        Assert.Equal(new EthernetHeader(StackMac, KernelMac, EtherType.Arp), reply.Header);
        Assert.Equal(ArpPacket.Reply(KernelMac, KernelIp, StackMac, StackIp), reply.Arp);
        // The kernel learned the asker, as RFC 826 has it.
        var neighbour = ns.Run("ip", "neigh", "show", StackIp.ToString(), "dev", Device).EnsureSuccess().StandardOutput;
        output.WriteLine(neighbour);
        Assert.Contains($"lladdr {StackMac}", neighbour);
        Assert.Equal(1, link.FramesSent);
        Assert.Equal(0, link.WriteErrors);
    }

    [LinuxRootFact]
    public void The_ARP_cache_answers_the_kernel_so_it_resolves_the_stack_and_ping_and_arping_get_replies() => CacheAnswersKernel(offload: false);

    [LinuxRootFact]
    public void The_ARP_cache_answers_the_kernel_through_an_offloading_device() => CacheAnswersKernel(offload: true);

    private void CacheAnswersKernel(bool offload)
    {
        using var ns = NetworkNamespace.Create("rxe");
        using var link = Open(ns, offload);
        using var host = new EthernetHostRig(DefaultScheduler.Instance, link, StackIp, seed: 1);
        host.OnIpv4 = packet => AnswerPing(host, packet);

        var ping = ns.Run(Patience, "ping", "-c", "2", "-i", "0.2", "-W", "2", StackIp.ToString());
        output.WriteLine(ping.ToString());
        Assert.True(ping.Succeeded, $"{ping} {host.Read(h => h.Arp.Counters.ToString())}");

        var neighbour = ns.Run("ip", "neigh", "show", StackIp.ToString(), "dev", Device).EnsureSuccess().StandardOutput;
        output.WriteLine(neighbour);
        Assert.Contains($"lladdr {StackMac}", neighbour);
        Assert.Matches("REACHABLE|STALE|DELAY|PROBE", neighbour);

        // arping (its own raw socket, not the kernel's cache) gets answers for our address and none for another.
        var ours = ns.Run(Patience, "arping", "-c", "2", "-w", "5", "-I", Device, StackIp.ToString());
        output.WriteLine(ours.ToString());
        Assert.True(ours.Succeeded, ours.ToString());
        Assert.Contains(StackMac.ToString(), ours.StandardOutput, StringComparison.OrdinalIgnoreCase);
        var notOurs = ns.Run(Patience, "arping", "-c", "2", "-w", "3", "-I", Device, NobodyIp.ToString());
        output.WriteLine(notOurs.ToString());
        Assert.False(notOurs.Succeeded, "someone answered ARP for an address the stack does not own");

        host.Read(h =>
        {
            Assert.True(h.Arp.Counters.RepliesSent >= 3, h.Arp.Counters.ToString()); // the kernel's request and arping's two
            Assert.True(h.Arp.TryGetEntry(KernelIp, out var kernel), "the cache did not learn the kernel from its request");
            Assert.Equal(KernelMac, kernel.LinkAddress);
            Assert.Equal(0, h.Drops[DropReason.ArpBadSender]);
            return 0;
        });
    }

    [LinuxRootFact]
    public void The_ARP_cache_resolves_the_kernel_and_fails_cleanly_for_a_next_hop_nobody_answers()
    {
        using var ns = NetworkNamespace.Create("rxe");
        using var link = Open(ns);
        using var host = new EthernetHostRig(DefaultScheduler.Instance, link, StackIp, seed: 2);
        var echoReplies = new BlockingCollection<byte[]>();
        host.OnIpv4 = packet =>
        {
            if (PacketParser.Parse(packet, out var parsed) == DropReason.None && parsed.Kind == PacketKind.IcmpEcho && parsed.Icmp.Type == IcmpType.EchoReply)
                echoReplies.Add(packet);
        };

        host.SendIp(KernelIp, PacketBuilder.BuildIcmpEchoRequest(StackIp, KernelIp, 0x4242, 1, "rxtcp"u8));
        Assert.True(echoReplies.TryTake(out _, Patience), $"no echo reply from the kernel: {host.Read(h => h.Arp.Counters.ToString())}");
        host.Read(h =>
        {
            Assert.True(h.Arp.TryGetEntry(KernelIp, out var kernel));
            Assert.Equal((KernelMac, NeighbourState.Reachable), (kernel.LinkAddress, kernel.State));
            Assert.Equal(1, h.Arp.Counters.RequestsSent);
            return 0;
        });

        // Nobody has 192.0.2.77: three requests, then the packet comes back undeliverable.
        host.SendIp(NobodyIp, PacketBuilder.BuildIcmpEchoRequest(StackIp, NobodyIp, 0x4242, 2, "rxtcp"u8));
        var deadline = DateTime.UtcNow + Patience;
        while (host.Read(h => h.Undeliverable.Count) == 0 && DateTime.UtcNow < deadline) Thread.Sleep(100);
        host.Read(h =>
        {
            var failure = Assert.Single(h.Undeliverable);
            Assert.Equal(DropReason.NeighbourUnreachable, failure.Reason);
            Assert.Equal(4, h.Arp.Counters.RequestsSent);
            Assert.Equal(1, h.Arp.Counters.Failed);
            return 0;
        });
    }

    private static void AnswerPing(EthernetHostRig host, byte[] packet)
    {
        if (PacketParser.Parse(packet, out var parsed) != DropReason.None || parsed.Kind != PacketKind.IcmpEcho || parsed.Icmp.Type != IcmpType.EchoRequest)
            return;
        if (parsed.Ip.Destination != host.Address) return;
        host.SendIp(parsed.Ip.Source, PacketBuilder.BuildIcmpEchoReply(host.Address, parsed.Ip.Source, parsed.Icmp.Identifier, parsed.Icmp.SequenceNumber, parsed.Icmp.Data.Span));
    }
}
