using System.Buffers.Binary;
using Reactive.Tcp.Wire;

namespace RxTcp.Fuzz;

/// <summary>The fuzz targets. Each throws only on a real finding: a crash or a broken property.</summary>
public static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["parse"] = Parse,
        ["options"] = Options,
        ["stack"] = Stack,
    };

    /// <summary>
    /// PacketParser.Parse on raw bytes; a TCP packet it accepts must survive a rebuild by
    /// PacketBuilder and parse back to the same fields (what a relay or a trace would rely on).
    /// </summary>
    public static void Parse(byte[] input)
    {
        var reason = PacketParser.Parse(input, out var packet);
        if (reason != DropReason.None) return;
        _ = packet.ToString();
        if (packet.Kind != PacketKind.Tcp) return;
        if (packet.Packet.Length > input.Length) throw new InvalidOperationException("packet slice longer than the frame");
        var rebuilt = PacketBuilder.BuildTcp(packet.Ip.Source, packet.Ip.Destination, packet.Tcp);
        var again = PacketParser.Parse(rebuilt, out var back);
        if (again != DropReason.None) throw new InvalidOperationException($"rebuilt packet dropped: {again}");
        Same(packet.Tcp, back.Tcp);
    }

    /// <summary>
    /// TCP option bytes (the first 40 input bytes) behind a valid header and checksum, so that
    /// TcpCodec.TryParse always reaches the option walk; accepted options must round-trip.
    /// </summary>
    public static void Options(byte[] input)
    {
        int optionLength = Math.Min(input.Length, TcpOptions.MaxWireLength) & ~3;
        int header = 20 + optionLength;
        var segment = new byte[header + Math.Max(0, input.Length - optionLength)];
        BinaryPrimitives.WriteUInt16BigEndian(segment, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), 80);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), 1);
        segment[12] = (byte)(header / 4 << 4);
        segment[13] = (byte)(TcpFlags.Ack | TcpFlags.Syn);
        input.AsSpan().CopyTo(segment.AsSpan(20));
        var source = LiveStack.PeerAddress;
        var destination = LiveStack.LocalAddress;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16),
            Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length), segment)));

        var reason = TcpCodec.TryParse(segment, source, destination, out var parsed);
        if (reason == DropReason.BadOption) return;
        if (reason != DropReason.None) throw new InvalidOperationException($"well-formed header dropped as {reason}");
        if (parsed.Options.SackCount is < 0 or > 4) throw new InvalidOperationException($"SackCount {parsed.Options.SackCount}");
        _ = parsed.ToString();

        var buffer = new byte[TcpCodec.GetHeaderLength(parsed) + parsed.Payload.Length];
        TcpCodec.Write(buffer, parsed, source, destination);
        if (TcpCodec.TryParse(buffer, source, destination, out var back) != DropReason.None)
            throw new InvalidOperationException("written options do not parse");
        Same(parsed, back);
    }

    /// <summary>Frames (see <see cref="FrameFixer.Records"/>) against a stack with live connections.</summary>
    public static void Stack(byte[] input)
    {
        using var live = new LiveStack();
        live.Feed(input);
    }

    private static void Same(in TcpSegment a, in TcpSegment b)
    {
        var o = a.Options;
        var p = b.Options;
        int blocks = o.WritableSackCount;
        bool same = a.SourcePort == b.SourcePort && a.DestinationPort == b.DestinationPort && a.Seq == b.Seq && a.Ack == b.Ack
            && a.Flags == b.Flags && a.Window == b.Window && a.UrgentPointer == b.UrgentPointer
            && a.Payload.Span.SequenceEqual(b.Payload.Span)
            && o.Mss == p.Mss && o.HasWindowScale == p.HasWindowScale && (!o.HasWindowScale || o.WindowScale == p.WindowScale)
            && o.SackPermitted == p.SackPermitted && o.HasTimestamps == p.HasTimestamps
            && (!o.HasTimestamps || (o.TsVal == p.TsVal && o.TsEcr == p.TsEcr))
            && p.SackCount == blocks;
        for (int i = 0; same && i < blocks; i++) same = o.Sack[i].Left == p.Sack[i].Left && o.Sack[i].Right == p.Sack[i].Right;
        if (!same) throw new InvalidOperationException($"round trip changed the segment: {a} became {b}");
    }
}
