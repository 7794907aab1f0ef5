using System.Buffers.Binary;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>
/// The TCP connections of a capture: every IPv4 TCP segment grouped by connection (a new SYN on a
/// 4-tuple starts a new one). Link types read: raw IP (101, 228, and 12), Ethernet (1, with VLAN
/// tags), Linux cooked (113, 276) and BSD loopback (0). Checksums are not verified, since a capture
/// taken on a sending host often holds segments whose checksum the NIC fills in later.
/// </summary>
public sealed class TcpTrace
{
    private TcpTrace(IReadOnlyList<TraceConnection> connections, int packets, int skipped)
    {
        Connections = connections;
        PacketCount = packets;
        SkippedPackets = skipped;
    }

    /// <summary>The connections, in order of their first segment.</summary>
    public IReadOnlyList<TraceConnection> Connections { get; }

    /// <summary>Records in the capture.</summary>
    public int PacketCount { get; }

    /// <summary>Records that are not IPv4 TCP segments (other protocols, fragments, unknown link types, cut or garbled headers).</summary>
    public int SkippedPackets { get; }

    /// <summary>Reads the capture file at <paramref name="path"/>.</summary>
    /// <exception cref="PcapFormatException">The file is not a classic pcap file, or is cut short or garbled.</exception>
    public static TcpTrace Load(string path) => FromRecords(PcapReader.ReadAll(path));

    /// <summary>Reads a capture from <paramref name="stream"/>.</summary>
    /// <exception cref="PcapFormatException">The stream is not a classic pcap file, or is cut short or garbled.</exception>
    public static TcpTrace Read(Stream stream) => FromRecords(PcapReader.ReadAll(stream));

    /// <summary>Groups the TCP segments of <paramref name="records"/> by connection.</summary>
    public static TcpTrace FromRecords(IEnumerable<PcapRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var builders = new List<Builder>();
        var open = new Dictionary<(TraceEndpoint, TraceEndpoint), Builder>();
        int packets = 0, skipped = 0;
        foreach (var record in records)
        {
            packets++;
            if (!TryIpPacket(record, out var ip) || !TryTcp(ip, out var source, out var destination, out var segment, out int length, out var identity))
            {
                skipped++;
                continue;
            }
            var pair = Order(source, destination);
            bool newSyn = segment.Has(TcpFlags.Syn) && !segment.Has(TcpFlags.Ack);
            if (!open.TryGetValue(pair, out var builder) || (newSyn && builder.StartsAnother(source, segment.Seq.Value)))
            {
                builder = new Builder();
                builders.Add(builder);
                open[pair] = builder;
            }
            builder.Add(record.Timestamp, source, destination, segment, length, identity);
        }
        return new TcpTrace(builders.Select(b => b.Build()).ToList(), packets, skipped);
    }

    private static (TraceEndpoint, TraceEndpoint) Order(TraceEndpoint a, TraceEndpoint b) =>
        (a.Address.Value, a.Port).CompareTo((b.Address.Value, b.Port)) <= 0 ? (a, b) : (b, a);

    /// <summary>Strips the link-layer header: the IPv4 packet the record carries, if any.</summary>
    private static bool TryIpPacket(PcapRecord record, out ReadOnlyMemory<byte> ip)
    {
        var data = record.Data.AsMemory();
        ip = default;
        var span = data.Span;
        switch (record.LinkType)
        {
            case 101 or 12 or 228: // LINKTYPE_RAW (and its OpenBSD number), LINKTYPE_IPV4
                ip = data;
                break;
            case 1: // Ethernet, possibly with 802.1Q tags
                int offset = 12;
                while (offset + 2 <= span.Length && BinaryPrimitives.ReadUInt16BigEndian(span[offset..]) is 0x8100 or 0x88a8) offset += 4;
                if (offset + 2 > span.Length || BinaryPrimitives.ReadUInt16BigEndian(span[offset..]) != 0x0800) return false;
                ip = data[(offset + 2)..];
                break;
            case 113: // Linux cooked capture v1 (tcpdump -i any)
                if (span.Length < 16 || BinaryPrimitives.ReadUInt16BigEndian(span[14..]) != 0x0800) return false;
                ip = data[16..];
                break;
            case 276: // Linux cooked capture v2
                if (span.Length < 20 || BinaryPrimitives.ReadUInt16BigEndian(span) != 0x0800) return false;
                ip = data[20..];
                break;
            case 0: // BSD loopback: a 4-byte address family in the capturing host's byte order
                if (span.Length < 4 || (BinaryPrimitives.ReadUInt32LittleEndian(span) != 2 && BinaryPrimitives.ReadUInt32BigEndian(span) != 2)) return false;
                ip = data[4..];
                break;
            default:
                return false;
        }
        return ip.Length >= 20 && ip.Span[0] >> 4 == 4;
    }

    private static bool TryTcp(ReadOnlyMemory<byte> ip, out TraceEndpoint source, out TraceEndpoint destination, out TcpSegment segment, out int length, out byte[] identity)
    {
        source = destination = default;
        segment = default;
        length = 0;
        identity = [];
        var p = ip.Span;
        int ihl = (p[0] & 0x0f) * 4;
        if (ihl < 20 || p.Length < ihl + 20 || p[9] != (byte)IpProtocol.Tcp) return false;
        if ((BinaryPrimitives.ReadUInt16BigEndian(p[6..]) & 0x3fff) != 0) return false; // a fragment
        int total = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (total == 0) total = p.Length; // segmentation offload: the kernel leaves the length to the NIC
        if (total < ihl + 20) return false;
        var t = p[ihl..];
        int dataOffset = (t[12] >> 4) * 4;
        if (dataOffset < 20 || dataOffset > t.Length) return false;
        if (!TcpCodec.TryParseOptions(t[20..dataOffset], ref segment.Options)) return false;
        source = new TraceEndpoint(IPv4Address.Read(p[12..]), BinaryPrimitives.ReadUInt16BigEndian(t));
        destination = new TraceEndpoint(IPv4Address.Read(p[16..]), BinaryPrimitives.ReadUInt16BigEndian(t[2..]));
        segment.SourcePort = source.Port;
        segment.DestinationPort = destination.Port;
        segment.Seq = new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(t[4..]));
        segment.Ack = new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(t[8..]));
        segment.Flags = (TcpFlags)t[13];
        segment.Window = BinaryPrimitives.ReadUInt16BigEndian(t[14..]);
        segment.UrgentPointer = BinaryPrimitives.ReadUInt16BigEndian(t[18..]);
        length = total - ihl - dataOffset;
        int captured = Math.Clamp(Math.Min(total, p.Length) - ihl - dataOffset, 0, length);
        segment.Payload = t.Slice(dataOffset, captured).ToArray();
        identity = p[..Math.Min(total, p.Length)].ToArray();
        return true;
    }

    /// <summary>Collects one connection's segments and pairs the two records of a segment seen sent and delivered.</summary>
    private sealed class Builder
    {
        private readonly List<(DateTimeOffset At, TraceEndpoint Source, TcpSegment Segment, int Length, byte[] Identity)> _seen = new();
        private TraceEndpoint? _synSource;
        private uint _synSeq;
        private (TraceEndpoint First, TraceEndpoint Second)? _ends;

        public bool StartsAnother(TraceEndpoint source, uint seq) => _synSource is { } s && !(s == source && _synSeq == seq);

        public void Add(DateTimeOffset at, TraceEndpoint source, TraceEndpoint destination, TcpSegment segment, int length, byte[] identity)
        {
            if (_synSource is null && segment.Has(TcpFlags.Syn) && !segment.Has(TcpFlags.Ack))
            {
                _synSource = source;
                _synSeq = segment.Seq.Value;
            }
            _seen.Add((at, source, segment, length, identity));
            _ends ??= (source, destination);
        }

        public TraceConnection Build()
        {
            var (first, second) = _ends!.Value;
            // Local is the side that answered the first SYN; caught mid-stream, the lower port (likely the server's).
            TraceEndpoint local = _synSource is { } syn ? (syn == first ? second : first) : (first.Port <= second.Port ? first : second);
            TraceEndpoint remote = local == first ? second : first;

            // A capture recording both stacks' links holds every delivered packet twice, byte for
            // byte (a lost one once): when many records pair up like that, the second of a pair is
            // the arrival. A capture at one point rarely holds byte-identical packets (a resend
            // differs at least in its timestamp option), so a third of the records pairing up is a
            // clear sign; a lost packet resent byte for byte would pair with its resend.
            var twins = new Dictionary<string, Queue<int>>();
            var arrivalOf = new int?[_seen.Count];
            var isArrival = new bool[_seen.Count];
            for (int i = 0; i < _seen.Count; i++)
            {
                string key = Convert.ToBase64String(_seen[i].Identity);
                if (twins.TryGetValue(key, out var waiting) && waiting.Count > 0)
                {
                    int sent = waiting.Dequeue();
                    arrivalOf[sent] = i;
                    isArrival[i] = true;
                }
                else
                {
                    if (!twins.TryGetValue(key, out waiting)) twins[key] = waiting = new Queue<int>();
                    waiting.Enqueue(i);
                }
            }
            bool twoPoint = _seen.Count >= 2 && isArrival.Count(a => a) * 10 >= _seen.Count * 3;

            var start = _seen[0].At;
            var segments = new List<TraceSegment>();
            for (int i = 0; i < _seen.Count; i++)
            {
                if (twoPoint && isArrival[i]) continue;
                var (at, source, segment, length, _) = _seen[i];
                TimeSpan? arrival = twoPoint && arrivalOf[i] is { } a ? _seen[a].At - start : null;
                segments.Add(new TraceSegment(at - start, arrival, source == local, segment, length));
            }
            return new TraceConnection(local, remote, segments, states: null, start);
        }
    }
}
