using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Tcp;
using PacketDotNet.Utils;
using Reactive.Tcp.Wire;
using Xunit;
using ArpOperation = Reactive.Tcp.Wire.ArpOperation;
using ArpPacket = Reactive.Tcp.Wire.ArpPacket;
using DotNetArp = PacketDotNet.ArpPacket;
using DotNetArpOperation = PacketDotNet.ArpOperation;

namespace Reactive.Tcp.Tests.Wire;

/// <summary>
/// Differential tests against an independent parser and builder, PacketDotNet 1.4.8: frames our
/// codecs write from random fields parse the same in PacketDotNet, and frames PacketDotNet builds
/// from random fields parse the same in our codecs. Every case is seeded, so a failure names the
/// seed that reproduces it.
/// </summary>
public class PacketDotNetDifferentialTests
{
    private const int Cases = 300;

    public static TheoryData<string> Kinds => new() { "arp", "tcp", "udp", "icmp" };

    // ---- random fields ------------------------------------------------------------------------

    private static MacAddress Mac(Random r) => new((ulong)r.NextInt64(1L << 48));

    private static MacAddress UnicastMac(Random r) => new((ulong)r.NextInt64(1L << 48) & ~(1UL << 40));

    private static IPv4Address Ip(Random r) => new((uint)r.NextInt64(1, 0xE000_0000));

    private static byte[] Bytes(Random r, int max)
    {
        var bytes = new byte[r.Next(max + 1)];
        r.NextBytes(bytes);
        return bytes;
    }

    private static PhysicalAddress Physical(MacAddress mac)
    {
        var bytes = new byte[6];
        mac.Write(bytes);
        return new PhysicalAddress(bytes);
    }

    private static MacAddress FromPhysical(PhysicalAddress address) => MacAddress.Read(address.GetAddressBytes());

    private static IPv4Address FromIp(IPAddress address) => IPv4Address.Read(address.GetAddressBytes());

    private static TcpOptions RandomOptions(Random r)
    {
        var options = new TcpOptions();
        if (r.Next(2) == 0) options.Mss = (ushort)r.Next(1, 65536);
        if (r.Next(2) == 0)
        {
            options.HasWindowScale = true;
            options.WindowScale = (byte)r.Next(15);
        }
        options.SackPermitted = r.Next(2) == 0;
        if (r.Next(2) == 0)
        {
            options.HasTimestamps = true;
            options.TsVal = (uint)r.NextInt64(1L << 32);
            options.TsEcr = (uint)r.NextInt64(1L << 32);
        }
        if (r.Next(3) == 0)
        {
            options.SackCount = r.Next(1, 5);
            for (int i = 0; i < options.SackCount; i++)
            {
                var left = new SeqNum((uint)r.NextInt64(1L << 32));
                options.Sack[i] = new SackBlock(left, left + r.Next(1, 100_000));
            }
        }
        return options;
    }

    // ---- ours → PacketDotNet ------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Frames_our_codecs_write_parse_the_same_in_PacketDotNet(string kind)
    {
        for (int seed = 0; seed < Cases; seed++)
        {
            var r = new Random(HashCode.Combine(kind, seed, 1));
            try
            {
                switch (kind)
                {
                    case "arp": OursToTheirsArp(r); break;
                    case "tcp": OursToTheirsTcp(r); break;
                    case "udp": OursToTheirsUdp(r); break;
                    case "icmp": OursToTheirsIcmp(r); break;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new Xunit.Sdk.XunitException($"{kind} case {seed}: {e.Message}\n{e.StackTrace}");
            }
        }
    }

    private static EthernetPacket ParseTheirs(byte[] frame, MacAddress dst, MacAddress src, EthernetType type)
    {
        var parsed = Assert.IsType<EthernetPacket>(Packet.ParsePacket(LinkLayers.Ethernet, frame));
        Assert.Equal(dst, FromPhysical(parsed.DestinationHardwareAddress));
        Assert.Equal(src, FromPhysical(parsed.SourceHardwareAddress));
        Assert.Equal(type, parsed.Type);
        return parsed;
    }

    private static void OursToTheirsArp(Random r)
    {
        var arp = new ArpPacket(r.Next(2) == 0 ? ArpOperation.Request : ArpOperation.Reply, UnicastMac(r), Ip(r), Mac(r), Ip(r));
        var destination = r.Next(2) == 0 ? MacAddress.Broadcast : UnicastMac(r);
        var frame = ArpCodec.BuildFrame(destination, arp);

        var theirs = ParseTheirs(frame, destination, arp.SenderMac, EthernetType.Arp).Extract<DotNetArp>();
        Assert.NotNull(theirs);
        Assert.Equal(LinkLayers.Ethernet, theirs.HardwareAddressType);
        Assert.Equal(EthernetType.IPv4, theirs.ProtocolAddressType);
        Assert.Equal((6, 4), (theirs.HardwareAddressLength, theirs.ProtocolAddressLength));
        Assert.Equal(arp.Operation == ArpOperation.Request ? DotNetArpOperation.Request : DotNetArpOperation.Response, theirs.Operation);
        Assert.Equal(arp.SenderMac, FromPhysical(theirs.SenderHardwareAddress));
        Assert.Equal(arp.SenderIp, FromIp(theirs.SenderProtocolAddress));
        Assert.Equal(arp.TargetMac, FromPhysical(theirs.TargetHardwareAddress));
        Assert.Equal(arp.TargetIp, FromIp(theirs.TargetProtocolAddress));
    }

    private static IPv4Packet CheckTheirIp(EthernetPacket ethernet, byte[] ipPacket, IPv4Address src, IPv4Address dst, PacketDotNet.ProtocolType protocol)
    {
        var ip = ethernet.Extract<IPv4Packet>();
        Assert.NotNull(ip);
        Assert.Equal(DropReason.None, Ipv4Codec.TryParse(ipPacket, out var ours));
        Assert.Equal(src, FromIp(ip.SourceAddress));
        Assert.Equal(dst, FromIp(ip.DestinationAddress));
        Assert.Equal(protocol, ip.Protocol);
        Assert.Equal(ipPacket.Length, ip.TotalLength);
        Assert.Equal(ours.HeaderLength, ip.HeaderLength * 4);
        Assert.Equal(ours.Ttl, ip.TimeToLive);
        Assert.Equal(ours.Identification, ip.Id);
        Assert.Equal(ours.Tos, (byte)ip.TypeOfService);
        Assert.Equal(ours.DontFragment, (ip.FragmentFlags & 0x2) != 0);
        Assert.Equal(0, ip.FragmentOffset);
        Assert.True(ip.ValidIPChecksum, "IPv4 header checksum");
        return ip;
    }

    private static void OursToTheirsTcp(Random r)
    {
        var (src, dst, srcMac, dstMac) = (Ip(r), Ip(r), UnicastMac(r), UnicastMac(r));
        var segment = new TcpSegment
        {
            SourcePort = (ushort)r.Next(65536),
            DestinationPort = (ushort)r.Next(65536),
            Seq = new SeqNum((uint)r.NextInt64(1L << 32)),
            Ack = new SeqNum((uint)r.NextInt64(1L << 32)),
            // URG in one case of eight: PacketDotNet will not list the options of such a segment.
            Flags = (TcpFlags)r.Next(256) & (r.Next(4) == 0 ? (TcpFlags)0xFF : ~TcpFlags.Urg),
            Window = (ushort)r.Next(65536),
            UrgentPointer = (ushort)r.Next(65536),
            Options = RandomOptions(r),
            Ecn = (IpEcn)r.Next(4),
            Payload = Bytes(r, r.Next(4) == 0 ? 1400 : 30),
        };
        var packet = PacketBuilder.BuildTcp(src, dst, segment, ttl: (byte)r.Next(1, 256), identification: (ushort)r.Next(65536));
        var frame = EthernetCodec.BuildFrame(new EthernetHeader(dstMac, srcMac, EtherType.IPv4), packet);

        var ethernet = ParseTheirs(frame, dstMac, srcMac, EthernetType.IPv4);
        CheckTheirIp(ethernet, packet, src, dst, PacketDotNet.ProtocolType.Tcp);
        var tcp = ethernet.Extract<TcpPacket>();
        Assert.NotNull(tcp);
        Assert.Equal(segment.SourcePort, tcp.SourcePort);
        Assert.Equal(segment.DestinationPort, tcp.DestinationPort);
        Assert.Equal(segment.Seq.Value, tcp.SequenceNumber);
        Assert.Equal(segment.Ack.Value, tcp.AcknowledgmentNumber);
        Assert.Equal((ushort)segment.Flags, tcp.Flags & 0xFF);
        Assert.Equal(segment.Window, tcp.WindowSize);
        Assert.Equal(segment.UrgentPointer, (ushort)tcp.UrgentPointer); // PacketDotNet reads it as a signed 16-bit number
        Assert.Equal(5 + segment.Options.WireLength / 4, tcp.DataOffset);
        Assert.True(tcp.ValidTcpChecksum, "TCP checksum");
        Assert.Equal(segment.Payload.ToArray(), tcp.PayloadData ?? []);

        // PacketDotNet refuses to list the options of a segment with URG set.
        if (segment.Has(TcpFlags.Urg)) return;
        IEnumerable<TcpOption> options = tcp.OptionsCollection ?? []; // null when there are none
        Assert.Equal(segment.Options.Mss, options.OfType<MaximumSegmentSizeOption>().SingleOrDefault()?.Value ?? 0);
        Assert.Equal(segment.Options.HasWindowScale, options.OfType<WindowScaleFactorOption>().Any());
        if (segment.Options.HasWindowScale) Assert.Equal(segment.Options.WindowScale, options.OfType<WindowScaleFactorOption>().Single().ScaleFactor);
        Assert.Equal(segment.Options.SackPermitted, options.OfType<SelectiveAcknowledgmentPermittedOption>().Any());
        var timestamp = options.OfType<TimeStampOption>().SingleOrDefault();
        Assert.Equal(segment.Options.HasTimestamps, timestamp is not null);
        if (timestamp is not null) Assert.Equal((segment.Options.TsVal, segment.Options.TsEcr), (timestamp.Value, timestamp.EchoReply));
        // PacketDotNet reads SACK edges as 16-bit numbers, so the blocks are compared as bytes.
        var sack = options.OfType<SelectiveAcknowledgmentOption>().SingleOrDefault();
        int written = segment.Options.WritableSackCount;
        Assert.Equal(written > 0, sack is not null);
        if (sack is not null)
        {
            var expected = new byte[2 + 8 * written];
            expected[0] = 5;
            expected[1] = (byte)expected.Length;
            for (int i = 0; i < written; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(expected.AsSpan(2 + 8 * i), segment.Options.Sack[i].Left.Value);
                BinaryPrimitives.WriteUInt32BigEndian(expected.AsSpan(6 + 8 * i), segment.Options.Sack[i].Right.Value);
            }
            Assert.Equal(expected, sack.Bytes);
        }
    }

    private static void OursToTheirsUdp(Random r)
    {
        var (src, dst, srcMac, dstMac) = (Ip(r), Ip(r), UnicastMac(r), UnicastMac(r));
        var (sport, dport) = ((ushort)r.Next(65536), (ushort)r.Next(65536));
        var payload = Bytes(r, r.Next(4) == 0 ? 1400 : 20);
        var packet = PacketBuilder.BuildUdp(src, dst, sport, dport, payload, ttl: (byte)r.Next(1, 256));
        var frame = EthernetCodec.BuildFrame(new EthernetHeader(dstMac, srcMac, EtherType.IPv4), packet);

        var ethernet = ParseTheirs(frame, dstMac, srcMac, EthernetType.IPv4);
        CheckTheirIp(ethernet, packet, src, dst, PacketDotNet.ProtocolType.Udp);
        var udp = ethernet.Extract<UdpPacket>();
        Assert.NotNull(udp);
        Assert.Equal((sport, dport), (udp.SourcePort, udp.DestinationPort));
        Assert.Equal(8 + payload.Length, udp.Length);
        Assert.True(udp.ValidUdpChecksum, "UDP checksum");
        Assert.Equal(payload, udp.PayloadData ?? []);
    }

    private static void OursToTheirsIcmp(Random r)
    {
        var (src, dst, srcMac, dstMac) = (Ip(r), Ip(r), UnicastMac(r), UnicastMac(r));
        var (id, sequence) = ((ushort)r.Next(65536), (ushort)r.Next(65536));
        var data = Bytes(r, 100);
        bool request = r.Next(2) == 0;
        var packet = request
            ? PacketBuilder.BuildIcmpEchoRequest(src, dst, id, sequence, data, ttl: (byte)r.Next(1, 256))
            : PacketBuilder.BuildIcmpEchoReply(src, dst, id, sequence, data, ttl: (byte)r.Next(1, 256));
        var frame = EthernetCodec.BuildFrame(new EthernetHeader(dstMac, srcMac, EtherType.IPv4), packet);

        var ethernet = ParseTheirs(frame, dstMac, srcMac, EthernetType.IPv4);
        CheckTheirIp(ethernet, packet, src, dst, PacketDotNet.ProtocolType.Icmp);
        var icmp = ethernet.Extract<IcmpV4Packet>();
        Assert.NotNull(icmp);
        Assert.Equal(request ? IcmpV4TypeCode.EchoRequest : IcmpV4TypeCode.EchoReply, icmp.TypeCode);
        Assert.Equal((id, sequence), (icmp.Id, icmp.Sequence));
        Assert.True(icmp.ValidIcmpChecksum, "ICMP checksum");
        Assert.Equal(data, icmp.Data ?? []);
    }

    // ---- PacketDotNet → ours ------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Frames_PacketDotNet_builds_parse_the_same_in_our_codecs(string kind)
    {
        for (int seed = 0; seed < Cases; seed++)
        {
            var r = new Random(HashCode.Combine(kind, seed, 2));
            try
            {
                switch (kind)
                {
                    case "arp": TheirsToOursArp(r); break;
                    case "tcp": TheirsToOursTcp(r); break;
                    case "udp": TheirsToOursUdp(r); break;
                    case "icmp": TheirsToOursIcmp(r); break;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new Xunit.Sdk.XunitException($"{kind} case {seed}: {e.Message}\n{e.StackTrace}");
            }
        }
    }

    /// <summary>Their frame through our Ethernet codec; returns the payload.</summary>
    private static ReadOnlyMemory<byte> ParseOurs(EthernetPacket ethernet, MacAddress dst, MacAddress src, EtherType type)
    {
        var frame = ethernet.Bytes;
        Assert.Equal(DropReason.None, EthernetCodec.TryParse(frame, out var header));
        Assert.Equal(new EthernetHeader(dst, src, type), header);
        return frame.AsMemory(EthernetCodec.HeaderLength);
    }

    private static EthernetPacket Wrap(MacAddress src, MacAddress dst, EthernetType type, Packet payload) =>
        new(Physical(src), Physical(dst), type) { PayloadPacket = payload };

    private static IPv4Packet TheirIp(Random r, IPv4Address src, IPv4Address dst, Packet payload, PacketDotNet.ProtocolType protocol)
    {
        var ip = new IPv4Packet(src.ToIPAddress(), dst.ToIPAddress())
        {
            TimeToLive = r.Next(1, 256),
            Id = (ushort)r.Next(65536),
            TypeOfService = r.Next(256),
            FragmentFlags = r.Next(2) == 0 ? 0x2 : 0, // DF or nothing: fragments are another test's business
            Protocol = protocol,
            PayloadPacket = payload,
        };
        return ip;
    }

    private static void CheckOurIp(in Ipv4Header ours, IPv4Packet theirs, IPv4Address src, IPv4Address dst, IpProtocol protocol)
    {
        Assert.Equal((src, dst, protocol), (ours.Source, ours.Destination, ours.Protocol));
        Assert.Equal(theirs.TotalLength, ours.TotalLength);
        Assert.Equal(theirs.TimeToLive, ours.Ttl);
        Assert.Equal(theirs.Id, ours.Identification);
        Assert.Equal(theirs.TypeOfService, ours.Tos);
        Assert.Equal((theirs.FragmentFlags & 0x2) != 0, ours.DontFragment);
        Assert.False(ours.IsFragment);
    }

    private static void TheirsToOursArp(Random r)
    {
        bool request = r.Next(2) == 0;
        var (senderMac, senderIp, targetMac, targetIp) = (UnicastMac(r), Ip(r), request ? MacAddress.Zero : UnicastMac(r), Ip(r));
        var theirs = new DotNetArp(request ? DotNetArpOperation.Request : DotNetArpOperation.Response,
            Physical(targetMac), targetIp.ToIPAddress(), Physical(senderMac), senderIp.ToIPAddress());
        var destination = request ? MacAddress.Broadcast : targetMac;
        var ethernet = Wrap(senderMac, destination, EthernetType.Arp, theirs);

        var payload = ParseOurs(ethernet, destination, senderMac, EtherType.Arp);
        Assert.Equal(DropReason.None, ArpCodec.TryParse(payload.Span, out var ours));
        Assert.Equal(new ArpPacket(request ? ArpOperation.Request : ArpOperation.Reply, senderMac, senderIp, targetMac, targetIp), ours);
        // And our writer produces their bytes exactly.
        var written = new byte[ArpCodec.Length];
        ArpCodec.Write(written, ours);
        Assert.Equal(theirs.Bytes, written);
    }

    private static void TheirsToOursTcp(Random r)
    {
        var (src, dst, srcMac, dstMac) = (Ip(r), Ip(r), UnicastMac(r), UnicastMac(r));
        // PacketDotNet cannot grow a header to fit options, so the packet starts from a header
        // with room for them; every field is then set through PacketDotNet.
        var options = RandomOptionBytes(r, out var expected);
        var header = new byte[TcpCodec.MinHeaderLength + options.Length];
        header[12] = (byte)((header.Length / 4) << 4);
        options.CopyTo(header, TcpCodec.MinHeaderLength);
        var tcp = new TcpPacket(new ByteArraySegment(header))
        {
            SourcePort = (ushort)r.Next(65536),
            DestinationPort = (ushort)r.Next(65536),
            SequenceNumber = (uint)r.NextInt64(1L << 32),
            AcknowledgmentNumber = (uint)r.NextInt64(1L << 32),
            Flags = (ushort)r.Next(256),
            WindowSize = (ushort)r.Next(65536),
            UrgentPointer = r.Next(65536),
        };
        tcp.PayloadData = Bytes(r, r.Next(4) == 0 ? 1400 : 30);
        var ip = TheirIp(r, src, dst, tcp, PacketDotNet.ProtocolType.Tcp);
        var ethernet = Wrap(srcMac, dstMac, EthernetType.IPv4, ip);
        ethernet.UpdateCalculatedValues();
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();

        var payload = ParseOurs(ethernet, dstMac, srcMac, EtherType.IPv4);
        Assert.Equal(DropReason.None, PacketParser.Parse(payload, out var ours));
        Assert.Equal(PacketKind.Tcp, ours.Kind);
        CheckOurIp(ours.Ip, ip, src, dst, IpProtocol.Tcp);
        var segment = ours.Tcp;
        Assert.Equal((tcp.SourcePort, tcp.DestinationPort), (segment.SourcePort, segment.DestinationPort));
        Assert.Equal((tcp.SequenceNumber, tcp.AcknowledgmentNumber), (segment.Seq.Value, segment.Ack.Value));
        Assert.Equal(tcp.Flags & 0xFF, (int)segment.Flags);
        Assert.Equal((tcp.WindowSize, (ushort)tcp.UrgentPointer), (segment.Window, segment.UrgentPointer));
        Assert.Equal((IpEcn)(ip.TypeOfService & 0b11), segment.Ecn);
        Assert.Equal(tcp.PayloadData ?? [], segment.Payload.ToArray());
        Assert.Equal(expected.ToString(), segment.Options.ToString());
        Assert.Equal(expected.Mss, segment.Options.Mss);
        Assert.Equal((expected.HasWindowScale, expected.WindowScale), (segment.Options.HasWindowScale, segment.Options.WindowScale));
        Assert.Equal(expected.SackPermitted, segment.Options.SackPermitted);
        Assert.Equal((expected.HasTimestamps, expected.TsVal, expected.TsEcr), (segment.Options.HasTimestamps, segment.Options.TsVal, segment.Options.TsEcr));
        Assert.Equal(expected.SackCount, segment.Options.SackCount);
        for (int i = 0; i < expected.SackCount; i++) Assert.Equal(expected.Sack[i], segment.Options.Sack[i]);
    }

    /// <summary>
    /// TCP options laid out by hand from the RFCs (not by our writer), in a random order with NOP
    /// padding here and there, padded with EOL to a multiple of four; <paramref name="expected"/>
    /// gets what they say.
    /// </summary>
    private static byte[] RandomOptionBytes(Random r, out TcpOptions expected)
    {
        expected = new TcpOptions();
        var parts = new List<byte[]>();
        if (r.Next(2) == 0)
        {
            expected.Mss = (ushort)r.Next(1, 65536);
            parts.Add([2, 4, (byte)(expected.Mss >> 8), (byte)expected.Mss]);
        }
        if (r.Next(2) == 0)
        {
            expected.HasWindowScale = true;
            expected.WindowScale = (byte)r.Next(15);
            parts.Add([3, 3, expected.WindowScale]);
        }
        if (r.Next(2) == 0)
        {
            expected.SackPermitted = true;
            parts.Add([4, 2]);
        }
        if (r.Next(2) == 0)
        {
            expected.HasTimestamps = true;
            expected.TsVal = (uint)r.NextInt64(1L << 32);
            expected.TsEcr = (uint)r.NextInt64(1L << 32);
            var ts = new byte[10];
            ts[0] = 8;
            ts[1] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(ts.AsSpan(2), expected.TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(ts.AsSpan(6), expected.TsEcr);
            parts.Add(ts);
        }
        int used = parts.Sum(p => p.Length);
        int room = (40 - used - 2) / 8;
        if (room > 0 && r.Next(3) == 0)
        {
            expected.SackCount = r.Next(1, Math.Min(room, 4) + 1);
            var sack = new byte[2 + 8 * expected.SackCount];
            sack[0] = 5;
            sack[1] = (byte)sack.Length;
            for (int i = 0; i < expected.SackCount; i++)
            {
                var left = new SeqNum((uint)r.NextInt64(1L << 32));
                expected.Sack[i] = new SackBlock(left, left + r.Next(1, 100_000));
                BinaryPrimitives.WriteUInt32BigEndian(sack.AsSpan(2 + 8 * i), expected.Sack[i].Left.Value);
                BinaryPrimitives.WriteUInt32BigEndian(sack.AsSpan(6 + 8 * i), expected.Sack[i].Right.Value);
            }
            parts.Add(sack);
        }
        var bytes = new List<byte>();
        foreach (var part in parts.OrderBy(_ => r.Next()))
        {
            if (bytes.Count + part.Length < 40 && r.Next(3) == 0) bytes.Add(1); // a NOP for alignment, as stacks do
            bytes.AddRange(part);
        }
        while (bytes.Count % 4 != 0) bytes.Add(0);
        return bytes.Count > 40 ? RandomOptionBytes(r, out expected) : bytes.ToArray();
    }

    private static void TheirsToOursUdp(Random r)
    {
        var (src, dst, srcMac, dstMac) = (Ip(r), Ip(r), UnicastMac(r), UnicastMac(r));
        var udp = new UdpPacket((ushort)r.Next(65536), (ushort)r.Next(65536)) { PayloadData = Bytes(r, r.Next(4) == 0 ? 1400 : 20) };
        var ip = TheirIp(r, src, dst, udp, PacketDotNet.ProtocolType.Udp);
        var ethernet = Wrap(srcMac, dstMac, EthernetType.IPv4, ip);
        ethernet.UpdateCalculatedValues();
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();

        var payload = ParseOurs(ethernet, dstMac, srcMac, EtherType.IPv4);
        Assert.Equal(DropReason.None, PacketParser.Parse(payload, out var ours));
        Assert.Equal(PacketKind.Udp, ours.Kind);
        CheckOurIp(ours.Ip, ip, src, dst, IpProtocol.Udp);
        Assert.Equal((udp.SourcePort, udp.DestinationPort), (ours.Udp.SourcePort, ours.Udp.DestinationPort));
        Assert.Equal(udp.PayloadData ?? [], ours.Udp.Payload.ToArray());
    }

    private static void TheirsToOursIcmp(Random r)
    {
        var (src, dst, srcMac, dstMac) = (Ip(r), Ip(r), UnicastMac(r), UnicastMac(r));
        bool request = r.Next(2) == 0;
        var data = Bytes(r, 100);
        var icmp = new IcmpV4Packet(new ByteArraySegment(new byte[8 + data.Length]))
        {
            TypeCode = request ? IcmpV4TypeCode.EchoRequest : IcmpV4TypeCode.EchoReply,
            Id = (ushort)r.Next(65536),
            Sequence = (ushort)r.Next(65536),
        };
        data.CopyTo(icmp.Bytes, 8);
        icmp.UpdateIcmpChecksum();
        var ip = TheirIp(r, src, dst, icmp, PacketDotNet.ProtocolType.Icmp);
        var ethernet = Wrap(srcMac, dstMac, EthernetType.IPv4, ip);
        ethernet.UpdateCalculatedValues();
        ip.UpdateIPChecksum();

        var payload = ParseOurs(ethernet, dstMac, srcMac, EtherType.IPv4);
        Assert.Equal(DropReason.None, PacketParser.Parse(payload, out var ours));
        Assert.Equal(PacketKind.IcmpEcho, ours.Kind);
        CheckOurIp(ours.Ip, ip, src, dst, IpProtocol.Icmp);
        Assert.Equal(request ? IcmpType.EchoRequest : IcmpType.EchoReply, ours.Icmp.Type);
        Assert.Equal((icmp.Id, icmp.Sequence), (ours.Icmp.Identifier, ours.Icmp.SequenceNumber));
        Assert.Equal(data, ours.Icmp.Data.ToArray());
    }

    // ---- padding ------------------------------------------------------------------------------

    [Fact]
    public void Both_parsers_ignore_the_padding_of_short_frames_the_same_way()
    {
        var r = new Random(60);
        for (int i = 0; i < Cases; i++)
        {
            var (src, dst) = (Ip(r), Ip(r));
            var packet = PacketBuilder.BuildUdp(src, dst, 1, 2, Bytes(r, 17)); // 28..45 bytes: always padded
            var frame = EthernetCodec.BuildFrame(new EthernetHeader(UnicastMac(r), UnicastMac(r), EtherType.IPv4), packet);
            Assert.Equal(60, frame.Length);
            var theirs = Assert.IsType<EthernetPacket>(Packet.ParsePacket(LinkLayers.Ethernet, frame)).Extract<UdpPacket>();
            var ours = EthernetCodec.TrimToIpv4TotalLength(frame.AsMemory(EthernetCodec.HeaderLength));
            Assert.Equal(packet, ours.ToArray());
            Assert.Equal(DropReason.None, PacketParser.Parse(ours, out var parsed));
            Assert.Equal(theirs.PayloadData ?? [], parsed.Udp.Payload.ToArray());
            Assert.True(theirs.ValidUdpChecksum);
        }
    }
}
