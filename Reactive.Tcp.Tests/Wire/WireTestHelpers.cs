using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Wire;

/// <summary>
/// Independent, deliberately naive helpers: a word-at-a-time RFC 1071 checksum and a hand-rolled
/// packet assembler, so the codecs are checked against code that shares nothing with them.
/// </summary>
internal static class WireTestHelpers
{
    public static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.168.1.2");
    public static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.168.1.1");

    /// <summary>RFC 1071 straight from the text: big-endian words, odd byte padded, fold, complement.</summary>
    public static ushort ReferenceChecksum(ReadOnlySpan<byte> data)
    {
        long sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (data[i] << 8) | data[i + 1];
        if (i < data.Length) sum += data[i] << 8;
        while ((sum >> 16) != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Reference checksum of pseudo-header + transport bytes, built as a real byte array.</summary>
    public static ushort ReferenceTransportChecksum(IPv4Address src, IPv4Address dst, byte protocol, ReadOnlySpan<byte> transport)
    {
        var buffer = new byte[12 + transport.Length];
        src.Write(buffer);
        dst.Write(buffer.AsSpan(4));
        buffer[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(10), (ushort)transport.Length);
        transport.CopyTo(buffer.AsSpan(12));
        return ReferenceChecksum(buffer);
    }

    /// <summary>A raw TCP header+payload with the given option bytes (padded with EOL to a multiple of 4) and a correct checksum.</summary>
    public static byte[] RawTcp(byte[] options, byte[]? payload = null, int? dataOffsetWords = null,
        IPv4Address? src = null, IPv4Address? dst = null, TcpFlags flags = TcpFlags.Ack)
    {
        payload ??= [];
        int optionLength = (options.Length + 3) & ~3;
        var tcp = new byte[20 + optionLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), 80);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), 1000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), 2000);
        tcp[12] = (byte)((dataOffsetWords ?? (20 + optionLength) / 4) << 4);
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 8192);
        options.CopyTo(tcp, 20);
        payload.CopyTo(tcp, 20 + optionLength);
        FixTransportChecksum(tcp, 6, 16, src ?? ClientAddress, dst ?? ServerAddress);
        return tcp;
    }

    /// <summary>Rewrites the checksum field at <paramref name="checksumOffset"/> with the reference algorithm.</summary>
    public static void FixTransportChecksum(byte[] transport, byte protocol, int checksumOffset, IPv4Address src, IPv4Address dst)
    {
        transport[checksumOffset] = 0;
        transport[checksumOffset + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(transport.AsSpan(checksumOffset),
            ReferenceTransportChecksum(src, dst, protocol, transport));
    }

    /// <summary>A raw ICMP message with a correct checksum.</summary>
    public static byte[] RawIcmp(byte type, byte code, ushort id, ushort seq, byte[] data)
    {
        var icmp = new byte[8 + data.Length];
        icmp[0] = type;
        icmp[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), seq);
        data.CopyTo(icmp, 8);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), ReferenceChecksum(icmp));
        return icmp;
    }

    /// <summary>A raw UDP datagram; the length field can be overridden, and the checksum is correct unless <paramref name="noChecksum"/>.</summary>
    public static byte[] RawUdp(byte[] payload, int? lengthField = null, bool noChecksum = false, IPv4Address? src = null, IPv4Address? dst = null)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5353);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), 53);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)(lengthField ?? udp.Length));
        payload.CopyTo(udp, 8);
        if (!noChecksum && lengthField is null)
        {
            FixTransportChecksum(udp, 17, 6, src ?? ClientAddress, dst ?? ServerAddress);
            if (udp[6] == 0 && udp[7] == 0) udp[6] = udp[7] = 0xFF;
        }
        return udp;
    }

    /// <summary>
    /// Wraps a transport in an IPv4 header. <paramref name="ihlWords"/> above 5 adds NOP IP options;
    /// the header checksum is correct unless the caller changes bytes afterwards.
    /// </summary>
    public static byte[] RawIp(byte protocol, byte[] transport, int ihlWords = 5, ushort flagsAndOffset = 0x4000,
        IPv4Address? src = null, IPv4Address? dst = null, int trailingPadding = 0)
    {
        int headerLength = ihlWords * 4;
        var packet = new byte[headerLength + transport.Length + trailingPadding];
        packet[0] = (byte)(0x40 | ihlWords);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(headerLength + transport.Length));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), flagsAndOffset);
        packet[8] = 64;
        packet[9] = protocol;
        (src ?? ClientAddress).Write(packet.AsSpan(12));
        (dst ?? ServerAddress).Write(packet.AsSpan(16));
        for (int i = 20; i < headerLength; i++) packet[i] = 1; // IP NOP options
        transport.CopyTo(packet, headerLength);
        FixIpChecksum(packet);
        return packet;
    }

    /// <summary>Recomputes the IP header checksum over IHL×4 bytes (IHL clamped to what is there).</summary>
    public static void FixIpChecksum(byte[] packet)
    {
        int headerLength = Math.Min((packet[0] & 0xF) * 4, packet.Length);
        packet[10] = packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), ReferenceChecksum(packet.AsSpan(0, headerLength)));
    }

    public static TcpOptions RandomOptions(Random random)
    {
        var o = new TcpOptions();
        if (random.Next(2) == 0) o.Mss = (ushort)random.Next(0, 65536);
        if (random.Next(2) == 0) { o.HasWindowScale = true; o.WindowScale = (byte)random.Next(256); }
        o.SackPermitted = random.Next(2) == 0;
        if (random.Next(2) == 0) { o.HasTimestamps = true; o.TsVal = (uint)random.NextInt64(0, 1L << 32); o.TsEcr = (uint)random.NextInt64(0, 1L << 32); }
        o.SackCount = random.Next(0, 5);
        for (int i = 0; i < o.SackCount; i++)
            o.Sack[i] = new SackBlock(new SeqNum((uint)random.NextInt64(0, 1L << 32)), new SeqNum((uint)random.NextInt64(0, 1L << 32)));
        return o;
    }

    public static TcpSegment RandomSegment(Random random, int maxPayload = 1500)
    {
        var payload = new byte[random.Next(0, maxPayload + 1)];
        random.NextBytes(payload);
        return new TcpSegment
        {
            SourcePort = (ushort)random.Next(65536),
            DestinationPort = (ushort)random.Next(65536),
            Seq = new SeqNum((uint)random.NextInt64(0, 1L << 32)),
            Ack = new SeqNum((uint)random.NextInt64(0, 1L << 32)),
            Flags = (TcpFlags)random.Next(256),
            Window = (ushort)random.Next(65536),
            UrgentPointer = (ushort)random.Next(65536),
            Options = RandomOptions(random),
            Payload = payload,
        };
    }

    /// <summary>Asserts the parsed options carry what was written (SACK blocks beyond what fits are expected to be left out).</summary>
    public static void AssertOptionsRoundTrip(in TcpOptions written, in TcpOptions parsed)
    {
        Assert.Equal(written.Mss, parsed.Mss);
        Assert.Equal(written.HasWindowScale, parsed.HasWindowScale);
        if (written.HasWindowScale) Assert.Equal(written.WindowScale, parsed.WindowScale);
        Assert.Equal(written.SackPermitted, parsed.SackPermitted);
        Assert.Equal(written.HasTimestamps, parsed.HasTimestamps);
        if (written.HasTimestamps)
        {
            Assert.Equal(written.TsVal, parsed.TsVal);
            Assert.Equal(written.TsEcr, parsed.TsEcr);
        }
        Assert.Equal(written.WritableSackCount, parsed.SackCount);
        for (int i = 0; i < parsed.SackCount; i++) Assert.Equal(written.Sack[i], parsed.Sack[i]);
    }

    public static void AssertSegmentRoundTrip(in TcpSegment written, in TcpSegment parsed)
    {
        Assert.Equal(written.SourcePort, parsed.SourcePort);
        Assert.Equal(written.DestinationPort, parsed.DestinationPort);
        Assert.Equal(written.Seq, parsed.Seq);
        Assert.Equal(written.Ack, parsed.Ack);
        Assert.Equal(written.Flags, parsed.Flags);
        Assert.Equal(written.Window, parsed.Window);
        Assert.Equal(written.UrgentPointer, parsed.UrgentPointer);
        AssertOptionsRoundTrip(written.Options, parsed.Options);
        Assert.True(written.Payload.Span.SequenceEqual(parsed.Payload.Span));
    }
}
