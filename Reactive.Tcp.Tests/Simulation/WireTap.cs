using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Runtime.InteropServices;
using System.Text;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tests.Simulation;

/// <summary>
/// The last packets seen on the wire, kept as raw buffers and only formatted when a run fails, so
/// recording costs next to nothing on the many runs that pass.
/// </summary>
internal sealed class PacketTrace
{
    private readonly Entry[] _ring;
    private long _count;

    public PacketTrace(int capacity) => _ring = new Entry[capacity];

    public void Add(long ticks, string where, ReadOnlyMemory<byte> packet, string? note = null) =>
        _ring[_count++ % _ring.Length] = new Entry(ticks, where, packet, note);

    public string Format()
    {
        var sb = new StringBuilder();
        long first = Math.Max(0, _count - _ring.Length);
        for (long i = first; i < _count; i++)
        {
            var e = _ring[i % _ring.Length];
            sb.Append(FormattableString.Invariant($"  {e.Ticks / (double)TimeSpan.TicksPerMillisecond,12:F3} ms  {e.Where,-9} "));
            var reason = PacketParser.Parse(e.Packet, out var packet);
            sb.Append(reason == DropReason.None ? packet.ToString() : $"<unparsable: {reason}, {e.Packet.Length} bytes>");
            if (e.Note is not null) sb.Append("  !! ").Append(e.Note);
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private readonly record struct Entry(long Ticks, string Where, ReadOnlyMemory<byte> Packet, string? Note);
}

/// <summary>
/// Buffers the stacks handed to the wire. <see cref="VirtualWire"/> delivers intact packets in the
/// sender's own buffer and corrupted ones as copies, so an arriving buffer that was never sent is
/// exactly a corrupted packet, with no guessing from its contents.
/// </summary>
internal sealed class SentLedger
{
    private readonly HashSet<byte[]> _sent = new(ReferenceEqualityComparer.Instance);

    public void Record(ReadOnlyMemory<byte> packet)
    {
        if (MemoryMarshal.TryGetArray(packet, out var segment) && segment.Array is { } array) _sent.Add(array);
    }

    public bool WasSent(ReadOnlyMemory<byte> packet) =>
        MemoryMarshal.TryGetArray(packet, out var segment) && segment.Array is { } array && _sent.Contains(array);
}

/// <summary>
/// One end of the wire as a stack sees it: records what goes out and comes in, tallies corrupted
/// arrivals by the reason the parser rejects them, and stops the run if the packet count runs away.
/// </summary>
/// <remarks>
/// The Internet checksum cannot see every 2- or 3-bit error (the same bit flipped in opposite
/// directions in two 16-bit words cancels out). Such a packet is not a stack bug, so the tap
/// withholds it (the stack sees it as lost) and counts it in <see cref="UndetectableCorruptions"/>;
/// every corruption the checksums can catch is passed on and must show up in the stack's drops.
/// Whether a corruption really is checksum-blind is decided by an independent checksum here, so a
/// parser that stopped verifying cannot hide behind the withholding (see <see cref="ParserMisses"/>).
/// </remarks>
internal sealed class WireTap : ILink
{
    private readonly ILink _inner;
    private readonly string _txLabel;
    private readonly string _rxLabel;
    private readonly IScheduler _scheduler;
    private readonly PacketTrace _trace;
    private readonly SentLedger _ledger;
    private readonly long _packetBudget;
    private readonly Func<long> _totalPackets;
    private readonly IPv4Address _address;

    public WireTap(ILink inner, string name, IPv4Address address, IScheduler scheduler, PacketTrace trace, SentLedger ledger, long packetBudget, Func<long> totalPackets)
    {
        _inner = inner;
        _address = address;
        _txLabel = name + " tx";
        _rxLabel = name + " rx";
        _scheduler = scheduler;
        _trace = trace;
        _ledger = ledger;
        _packetBudget = packetBudget;
        _totalPackets = totalPackets;
        Inbound = Observable.Create<ReadOnlyMemory<byte>>(o => inner.Inbound.Subscribe(
            packet =>
            {
                if (Admit(packet)) o.OnNext(packet);
            },
            o.OnError,
            o.OnCompleted));
    }

    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    public int Mtu => _inner.Mtu;

    /// <summary>Packets this end sent.</summary>
    public long Sent { get; private set; }

    /// <summary>Packets that arrived at this end, corrupted or not.</summary>
    public long Arrived { get; private set; }

    /// <summary>Intact packets the wire marked CE on the way (not corrupted).</summary>
    public long MarkedArrivals { get; private set; }

    /// <summary>Corrupted packets that arrived at this end.</summary>
    public long CorruptedArrivals { get; private set; }

    /// <summary>Corrupted packets the checksums cannot catch, withheld from the stack.</summary>
    public long UndetectableCorruptions { get; private set; }

    /// <summary>Corrupted packets the parser accepted although their checksums do not verify: a parser bug.</summary>
    public long ParserMisses { get; private set; }

    /// <summary>
    /// Corrupted arrivals the parser rejects, by reason: what the stack must have counted. A fragment
    /// (which the parser leaves to reassembly) addressed elsewhere counts as <see cref="DropReason.NotForUs"/>.
    /// </summary>
    public long[] ExpectedParseDrops { get; } = new long[Enum.GetValues<DropReason>().Length];

    /// <summary>The wire carried more packets than any healthy run needs; it was cut.</summary>
    public bool BudgetExceeded { get; private set; }

    public void Send(ReadOnlyMemory<byte> packet)
    {
        Sent++;
        _ledger.Record(packet);
        _trace.Add(_scheduler.Now.UtcTicks, _txLabel, packet);
        if (_totalPackets() > _packetBudget)
        {
            // A livelock (e.g. an ACK war on a zero-delay wire) would otherwise spin inside one
            // scheduler step forever; cutting the wire lets the run end and the checks report it.
            BudgetExceeded = true;
            _inner.Dispose();
            return;
        }
        _inner.Send(packet);
    }

    public void Dispose() => _inner.Dispose();

    private bool Admit(ReadOnlyMemory<byte> packet)
    {
        Arrived++;
        var where = _rxLabel;
        if (_ledger.WasSent(packet))
        {
            _trace.Add(_scheduler.Now.UtcTicks, where, packet);
            return true;
        }

        var reason = PacketParser.Parse(packet, out var parsed);
        if (reason == DropReason.None && parsed.Kind == PacketKind.Tcp && (parsed.Ip.Tos & 0b11) == (int)IpEcn.Ce && ChecksumsVerify(packet.Span))
        {
            // A copy the wire marked CE (Impairments.CongestionMark), intact otherwise: deliver it.
            MarkedArrivals++;
            _trace.Add(_scheduler.Now.UtcTicks, where, packet, "CE-marked");
            return true;
        }

        CorruptedArrivals++;
        if (reason == DropReason.None)
        {
            if (!ChecksumsVerify(packet.Span))
            {
                ParserMisses++;
                _trace.Add(_scheduler.Now.UtcTicks, where, packet, "corrupted, checksum wrong, yet ACCEPTED by the parser: withheld");
                return false;
            }
            UndetectableCorruptions++;
            _trace.Add(_scheduler.Now.UtcTicks, where, packet, "corrupted, checksum-blind: withheld");
            return false;
        }
        if (reason == DropReason.Fragment && Ipv4Codec.TryParse(packet.Span, out var ip) == DropReason.None && ip.Destination != _address)
        {
            // A host reassembles only datagrams addressed to it: a fragment whose destination the
            // corruption changed is dropped as not for us before reassembly sees it.
            reason = DropReason.NotForUs;
        }
        ExpectedParseDrops[(int)reason]++;
        _trace.Add(_scheduler.Now.UtcTicks, where, packet, "corrupted" + (reason == DropReason.Fragment ? ", a fragment" : reason == DropReason.NotForUs ? ", a fragment for another address" : ""));
        return true;
    }

    // Written from RFC 791/793/1071 independently of Wire/Checksum.cs, which it double-checks.
    private static bool ChecksumsVerify(ReadOnlySpan<byte> p)
    {
        int ihl = (p[0] & 0x0F) * 4;
        int total = p[2] << 8 | p[3];
        if (Fold(Sum(p[..ihl], 0)) != 0xFFFF) return false;
        if (p[9] != 6) return true; // only TCP travels in these runs
        var segment = p[ihl..total];
        uint pseudo = Sum(p.Slice(12, 8), 0) + 6u + (uint)segment.Length;
        return Fold(Sum(segment, pseudo)) == 0xFFFF;
    }

    private static uint Sum(ReadOnlySpan<byte> data, uint sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        return sum;
    }

    private static uint Fold(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return sum;
    }
}
