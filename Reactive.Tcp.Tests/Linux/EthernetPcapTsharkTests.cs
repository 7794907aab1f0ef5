using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;
using Reactive.Tcp.Diagnostics;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>An Ethernet capture written by <see cref="PcapWriter"/> from frames our codecs built, read back by tshark.</summary>
public sealed class EthernetPcapTsharkTests(ITestOutputHelper output)
{
    private static readonly MacAddress Stack = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress Kernel = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly IPv4Address StackIp = IPv4Address.Parse("192.0.2.2");
    private static readonly IPv4Address KernelIp = IPv4Address.Parse("192.0.2.1");

    private static byte[] Ip(MacAddress to, MacAddress from, byte[] packet) =>
        EthernetCodec.BuildFrame(new EthernetHeader(to, from, EtherType.IPv4), packet);

    [LinuxRootFact] // tshark runs as nobody through setpriv, which needs root
    public void Tshark_reads_every_frame_with_no_malformed_packet_and_good_checksums()
    {
        var frames = new List<byte[]>
        {
            ArpCodec.BuildFrame(MacAddress.Broadcast, ArpPacket.Request(Stack, StackIp, KernelIp)),
            ArpCodec.BuildFrame(Stack, ArpPacket.Reply(Kernel, KernelIp, Stack, StackIp)),
            ArpCodec.BuildFrame(MacAddress.Broadcast, ArpPacket.Announcement(Stack, StackIp)),
            Ip(Kernel, Stack, PacketBuilder.BuildTcp(StackIp, KernelIp, new TcpSegment
            {
                SourcePort = 40000, DestinationPort = 80, Seq = new SeqNum(1000), Flags = TcpFlags.Syn, Window = 65535,
                Options = new TcpOptions { Mss = 1460, SackPermitted = true, HasWindowScale = true, WindowScale = 7 },
            })),
            // A bare ACK: 40 bytes, so the frame carries 6 bytes of padding after the IPv4 packet.
            Ip(Stack, Kernel, PacketBuilder.BuildTcp(KernelIp, StackIp, new TcpSegment
            {
                SourcePort = 80, DestinationPort = 40000, Seq = new SeqNum(5000), Ack = new SeqNum(1001), Flags = TcpFlags.Ack, Window = 502,
            })),
            Ip(Kernel, Stack, PacketBuilder.BuildUdp(StackIp, KernelIp, 40001, 40002, "hello"u8)),
            Ip(Kernel, Stack, PacketBuilder.BuildIcmpEchoRequest(StackIp, KernelIp, 7, 1, new byte[56])),
            Ip(Stack, Kernel, PacketBuilder.BuildIcmpEchoReply(KernelIp, StackIp, 7, 1, new byte[56])),
        };
        var directory = Directory.CreateTempSubdirectory("rxe-pcap-");
        try
        {
            var path = Path.Combine(directory.FullName, "ethernet.pcap");
            using (var writer = new PcapWriter(path, PcapLinkType.Ethernet))
            {
                var at = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000);
                foreach (var frame in frames) writer.Write(frame, at = at.AddMilliseconds(1));
            }

            string[] checksums = ["-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"];
            var check = Tshark.Run(path, [.. checksums, "-Y", "_ws.malformed || _ws.expert.severity >= warning || ip.checksum.status==0 || tcp.checksum.status==0 || udp.checksum.status==0 || icmp.checksum.status==0"]);
            output.WriteLine(Tshark.Run(path).StandardOutput);
            Assert.True(check.Succeeded, check.ToString());
            Assert.Equal("", check.StandardError);
            Assert.Equal("", check.StandardOutput);

            // One pass for every field checked: tshark takes seconds per run on a loaded machine.
            string[] fields = ["eth.src", "eth.dst", "eth.type", "arp.opcode", "arp.isannouncement",
                "tcp.checksum.status", "udp.checksum.status", "icmp.checksum.status", "eth.padding"];
            var read = Tshark.Run(path, [.. checksums, "-T", "fields", .. fields.SelectMany(f => new[] { "-e", f })]);
            Assert.True(read.Succeeded && read.StandardError.Length == 0, read.ToString());
            var rows = read.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
            Assert.Equal(frames.Count, rows.Count);
            Assert.Equal(["02:00:00:00:00:02", "ff:ff:ff:ff:ff:ff", "0x0806", "1", ""], rows[0][..5]);
            Assert.Equal(["02:00:00:00:00:01", "02:00:00:00:00:02", "0x0806", "2", ""], rows[1][..5]);
            Assert.Equal(["02:00:00:00:00:02", "ff:ff:ff:ff:ff:ff", "0x0806", "1", "1"], rows[2][..5]);
            Assert.Equal(["02:00:00:00:00:02", "02:00:00:00:00:01", "0x0800"], rows[3][..3]);
            Assert.Equal(["1", "1"], rows[3..5].Select(r => r[5])); // TCP checksums verified good
            Assert.Equal("1", rows[5][6]);                              // UDP
            Assert.Equal(["1", "1"], rows[6..8].Select(r => r[7]));   // ICMP
            // Zero padding where the payload is shorter than 46 bytes: the ARP frames, the bare ACK, the UDP datagram.
            Assert.Equal([18, 18, 18, 0, 6, 13, 0, 0], rows.Select(r => r[8].Length / 2));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
