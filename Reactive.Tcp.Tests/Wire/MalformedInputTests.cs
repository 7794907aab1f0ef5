using System.Buffers.Binary;
using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

/// <summary>Each case is a whole frame fed to <see cref="PacketParser.Parse"/>, so the table also checks the order of the checks.</summary>
public class MalformedInputTests
{
    private static byte[] Tcp(byte[] options, byte[]? payload = null, int? dataOffsetWords = null) =>
        RawIp(6, RawTcp(options, payload, dataOffsetWords));

    private static byte[] With(byte[] packet, Action<byte[]> change, bool fixIpChecksum = true)
    {
        change(packet);
        if (fixIpChecksum) FixIpChecksum(packet);
        return packet;
    }

    private static readonly Dictionary<string, (Func<byte[]> Frame, DropReason Expected)> Cases = new()
    {
        // Controls: well-formed frames, so a parser that rejects everything fails this table.
        ["valid TCP with options and payload"] = (() => Tcp([2, 4, 5, 180, 1, 3, 3, 7], [1, 2, 3]), DropReason.None),
        ["valid TCP with unknown option"] = (() => Tcp([0xFE, 4, 0xAA, 0xBB]), DropReason.None),
        ["valid TCP with IP options"] = (() => RawIp(6, RawTcp([]), ihlWords: 7), DropReason.None),
        ["valid ICMP echo request"] = (() => RawIp(1, RawIcmp(8, 0, 1, 1, [1, 2, 3])), DropReason.None),
        ["valid UDP without checksum"] = (() => RawIp(17, RawUdp([1, 2], noChecksum: true)), DropReason.None),
        ["valid UDP with trailing link padding"] = (() => RawIp(17, RawUdp([1, 2, 3]), trailingPadding: 6), DropReason.None),

        // IPv4
        ["empty frame"] = (() => [], DropReason.Truncated),
        ["IPv4 shorter than 20 bytes"] = (() => RawIp(6, RawTcp([]))[..19], DropReason.Truncated),
        ["version 6"] = (() => { var p = new byte[40]; p[0] = 0x60; return p; }, DropReason.NotIPv4),
        ["version 6, one byte"] = (() => [0x60], DropReason.NotIPv4),
        ["IHL 4"] = (() => With(RawIp(6, RawTcp([])), p => p[0] = 0x44), DropReason.BadHeaderLength),
        ["IHL past end of packet"] = (() => With(RawIp(6, new byte[10]), p => p[0] = 0x4F), DropReason.BadHeaderLength),
        ["total length beyond frame"] = (() => With(RawIp(6, RawTcp([])), p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)(p.Length + 1))), DropReason.BadTotalLength),
        ["total length below header length"] = (() => With(RawIp(6, RawTcp([])), p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 19)), DropReason.BadTotalLength),
        ["total length below IHL with options"] = (() => With(RawIp(6, RawTcp([]), ihlWords: 6), p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 22)), DropReason.BadTotalLength),
        ["bad IP checksum"] = (() => With(RawIp(6, RawTcp([])), p => p[8]--, fixIpChecksum: false), DropReason.BadIpChecksum),
        ["fragment with MF"] = (() => RawIp(6, RawTcp([]), flagsAndOffset: 0x2000), DropReason.Fragment),
        ["fragment with offset"] = (() => RawIp(6, RawTcp([]), flagsAndOffset: 0x0010), DropReason.Fragment),
        ["unsupported protocol (GRE)"] = (() => RawIp(47, new byte[24]), DropReason.UnsupportedProtocol),

        // TCP
        ["TCP shorter than 20 bytes"] = (() => RawIp(6, RawTcp([])[..19]), DropReason.Truncated),
        ["TCP data offset 4"] = (() => Tcp([], dataOffsetWords: 4), DropReason.BadDataOffset),
        ["TCP data offset past end"] = (() => Tcp([], payload: new byte[3], dataOffsetWords: 6), DropReason.BadDataOffset),
        ["bad TCP checksum"] = (() => With(Tcp([], [1, 2, 3]), p => p[^1] ^= 1), DropReason.BadTcpChecksum),
        ["option length 0"] = (() => Tcp([0xFE, 0, 1, 1]), DropReason.BadOption),
        ["option length 1"] = (() => Tcp([0xFE, 1, 1, 1]), DropReason.BadOption),
        ["option length byte missing"] = (() => Tcp([1, 1, 1, 0xFE]), DropReason.BadOption),
        ["option running past header"] = (() => Tcp([1, 1, 0xFE, 6], payload: [0, 0, 0, 0]), DropReason.BadOption),
        ["MSS with length 3"] = (() => Tcp([2, 3, 5, 1]), DropReason.BadOption),
        ["window scale with length 4"] = (() => Tcp([3, 4, 7, 0]), DropReason.BadOption),
        ["SACK-permitted with length 3"] = (() => Tcp([4, 3, 0, 1]), DropReason.BadOption),
        ["timestamps with length 8"] = (() => Tcp([8, 8, 0, 0, 0, 0, 0, 0]), DropReason.BadOption),
        ["SACK with length 11"] = (() => Tcp([1, 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0]), DropReason.BadOption),
        ["SACK with no blocks"] = (() => Tcp([1, 1, 5, 2]), DropReason.BadOption),

        // ICMP
        ["ICMP shorter than 8 bytes"] = (() => RawIp(1, RawIcmp(8, 0, 1, 1, [])[..7]), DropReason.Truncated),
        ["bad ICMP checksum"] = (() => With(RawIp(1, RawIcmp(8, 0, 1, 1, [1, 2])), p => p[^1] ^= 0x80), DropReason.BadIcmpChecksum),
        ["ICMP destination unreachable quoting no IPv4 header"] = (() => RawIp(1, RawIcmp(3, 1, 0, 0, new byte[28])), DropReason.BadIcmpQuote),
        ["ICMP destination unreachable quoting fewer than 8 transport bytes"] = (() => RawIp(1, RawIcmp(3, 1, 0, 0, RawIp(6, new byte[7]))), DropReason.BadIcmpQuote),
        ["ICMP time exceeded"] = (() => RawIp(1, RawIcmp(11, 0, 0, 0, new byte[28])), DropReason.UnsupportedIcmp),

        // UDP
        ["UDP shorter than 8 bytes"] = (() => RawIp(17, new byte[7]), DropReason.Truncated),
        ["UDP length beyond IP payload"] = (() => RawIp(17, RawUdp([1, 2, 3], lengthField: 12)), DropReason.BadUdp),
        ["UDP length below 8"] = (() => RawIp(17, RawUdp([1, 2, 3], lengthField: 7)), DropReason.BadUdp),
        ["bad UDP checksum"] = (() => With(RawIp(17, RawUdp([1, 2, 3])), p => p[^2] ^= 0x10), DropReason.BadUdp),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Frame_is_dropped_for_the_expected_reason(string name)
    {
        var (frame, expected) = Cases[name];
        byte[] bytes = frame();
        var reason = PacketParser.Parse(bytes, out var packet);
        Assert.Equal(expected, reason);
        Assert.Equal(expected == DropReason.None, packet.Kind != PacketKind.None);
    }
}
