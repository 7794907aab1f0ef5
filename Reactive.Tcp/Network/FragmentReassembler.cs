using System.Buffers.Binary;
using System.Reactive.Concurrency;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Network;

/// <summary>
/// Puts IPv4 fragments back together (RFC 791 §3.2, RFC 815 hole tracking) at the stack's
/// inbound edge, within fixed limits, so the parser only ever sees whole datagrams. Datagrams are
/// keyed by (source, destination, protocol, identification) and assembled in pooled buffers.
/// </summary>
/// <remarks>
/// <para>Defences, each counted under its own <see cref="DropReason"/>: overlapping fragments
/// whose bytes disagree drop the whole datagram (<see cref="DropReason.FragmentOverlap"/>, after
/// RFC 5722; identical duplicates are harmless and accepted); a TCP first fragment too short for
/// the whole TCP header and any TCP fragment at offset 8 bytes are refused (RFC 1858
/// <see cref="DropReason.TinyFragment"/>, the overlapping-header and tiny-fragment attacks);
/// fragments past 65,535 bytes or disagreeing with the known end (<see cref="DropReason.FragmentTooLong"/>);
/// memory, datagram and per-datagram fragment caps (<see cref="DropReason.FragmentMemoryLimit"/>);
/// and a timeout run on the stack's scheduler (<see cref="DropReason.FragmentTimeout"/>).</para>
/// <para>Not thread-safe by itself: every call, and every timeout, runs under the stack's gate.</para>
/// </remarks>
internal sealed class FragmentReassembler : IDisposable
{
    // The rebuilt datagram gets a plain 20-byte header; the payload sits right after it.
    private const int HeaderRoom = Ipv4Codec.MinHeaderLength;
    private const int MaxPayloadEnd = ushort.MaxValue - HeaderRoom;
    private const int MinTcpHeader = 20;

    private readonly FragmentReassemblyOptions _options;
    private readonly IScheduler _scheduler;
    private readonly object _gate;
    private readonly DropCounters _drops;
    private readonly Action<byte[]>? _timedOut;
    private readonly Dictionary<FragmentKey, Datagram> _datagrams = new();
    private long _arrivals;
    private bool _disposed;

    public FragmentReassembler(FragmentReassemblyOptions options, IScheduler scheduler, object gate, DropCounters drops, Action<byte[]>? timedOut = null)
    {
        _options = options;
        _scheduler = scheduler;
        _gate = gate;
        _drops = drops;
        _timedOut = timedOut;
    }

    /// <summary>Datagrams waiting for fragments.</summary>
    public int DatagramsInProgress => _datagrams.Count;

    /// <summary>Bytes of buffers held for them.</summary>
    public int BytesHeld { get; private set; }

    /// <summary>Datagrams completed.</summary>
    public long Completed { get; private set; }

    /// <summary>
    /// Takes one fragment. Returns the whole datagram when this fragment completes it (the caller
    /// owns the returned reference and releases it), else null: held for later, or dropped and counted.
    /// </summary>
    /// <param name="fragment">The fragment as received, starting at its IP header.</param>
    /// <param name="ip">Its parsed header (<see cref="Ipv4Header.IsFragment"/> set).</param>
    public PooledPacket? Accept(ReadOnlySpan<byte> fragment, in Ipv4Header ip)
    {
        // A frame still in the pipeline when the stack is disposed must not start a datagram nobody frees.
        if (_disposed) return null;
        var data = fragment[ip.HeaderLength..ip.TotalLength];
        int start = ip.FragmentOffset * 8;
        int end = start + data.Length;
        var key = new FragmentKey(ip.Source, ip.Destination, ip.Protocol, ip.Identification);
        _datagrams.TryGetValue(key, out var datagram);

        var reason = Check(ip, data, start, end);
        if (reason == DropReason.None && datagram is not null) reason = datagram.CheckEnd(ip.MoreFragments, end);
        if (reason != DropReason.None)
        {
            _drops.Increment(reason);
            // A datagram that received a malicious or inconsistent piece cannot be trusted whole.
            if (datagram is not null && reason != DropReason.BadFragment) Discard(key, datagram);
            return null;
        }

        if (datagram is null)
        {
            if (_datagrams.Count >= _options.MaxDatagrams && !EvictOldest(except: null)) { _drops.Increment(DropReason.FragmentMemoryLimit); return null; }
            datagram = new Datagram(ip.Ttl, _arrivals++);
            _datagrams.Add(key, datagram);
            datagram.Timeout = _scheduler.Schedule((Reassembler: this, Key: key, Datagram: datagram), _options.Timeout,
                static (_, state) => { state.Reassembler.Expire(state.Key, state.Datagram); return System.Reactive.Disposables.Disposable.Empty; });
        }

        if (datagram.Fragments >= _options.MaxFragmentsPerDatagram || !Reserve(datagram, end))
        {
            _drops.Increment(DropReason.FragmentMemoryLimit);
            Discard(key, datagram);
            return null;
        }
        if (!datagram.Write(start, data))
        {
            _drops.Increment(DropReason.FragmentOverlap);
            Discard(key, datagram);
            return null;
        }
        if (!ip.MoreFragments) datagram.TotalEnd = end;
        // RFC 792/1122 §3.3.2: only a datagram whose first fragment came may be answered with a
        // Time Exceeded when it times out, and the error quotes that fragment's header and 8 bytes.
        if (start == 0 && _timedOut is not null) datagram.FirstFragmentQuote ??= fragment[..IcmpCodec.QuoteLength(fragment)].ToArray();
        if (!datagram.IsComplete) return null;

        _datagrams.Remove(key);
        datagram.Timeout?.Dispose();
        BytesHeld -= datagram.Buffer!.Capacity;
        var whole = datagram.TakeBuffer()!;
        whole.SetLength(HeaderRoom + datagram.TotalEnd);
        Ipv4Codec.Write(whole.Span, new Ipv4Header
        {
            HeaderLength = HeaderRoom,
            TotalLength = (ushort)(HeaderRoom + datagram.TotalEnd),
            Identification = ip.Identification,
            Ttl = datagram.Ttl,
            Protocol = ip.Protocol,
            Source = ip.Source,
            Destination = ip.Destination,
        });
        Completed++;
        return whole;
    }

    /// <summary>Lets go of every buffer and timer.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var datagram in _datagrams.Values)
        {
            datagram.Timeout?.Dispose();
            datagram.TakeBuffer()?.Release();
        }
        _datagrams.Clear();
        BytesHeld = 0;
    }

    /// <summary>The checks one fragment must pass on its own.</summary>
    private static DropReason Check(in Ipv4Header ip, ReadOnlySpan<byte> data, int start, int end)
    {
        // Every fragment but the last carries a multiple of 8 bytes (the offset unit), and something.
        if (ip.MoreFragments && (data.Length == 0 || data.Length % 8 != 0)) return DropReason.BadFragment;
        if (end > MaxPayloadEnd) return DropReason.FragmentTooLong;
        if (ip.Protocol == IpProtocol.Tcp)
        {
            // RFC 1858 §3.2: offset 1 (8 bytes) can only serve to rewrite the TCP flags of the first fragment.
            if (ip.FragmentOffset == 1) return DropReason.TinyFragment;
            if (start == 0)
            {
                if (data.Length < MinTcpHeader) return DropReason.TinyFragment;
                int tcpHeader = (data[12] >> 4) * 4;
                if (data.Length < Math.Max(tcpHeader, MinTcpHeader)) return DropReason.TinyFragment;
            }
        }
        return DropReason.None;
    }

    /// <summary>Makes the datagram's buffer reach <paramref name="end"/> payload bytes, within the memory limit.</summary>
    private bool Reserve(Datagram datagram, int end)
    {
        int needed = HeaderRoom + end;
        var buffer = datagram.Buffer;
        if (buffer is not null && needed <= buffer.Capacity)
        {
            if (needed > buffer.Length) buffer.SetLength(needed);
            return true;
        }
        // Grow to what is needed now, or double, so in-order arrival does not copy on every fragment.
        int size = Math.Min(ushort.MaxValue, Math.Max(needed, buffer is null ? 0 : 2 * buffer.Length));
        var grown = PooledPacket.Rent(size);
        int added = grown.Capacity - (buffer?.Capacity ?? 0);
        // Over the limit, the oldest datagrams go first (as Linux's ip_evictor does): a flood of
        // fragments that never complete cannot lock out datagrams that arrive whole and quickly.
        while (BytesHeld + added > _options.MemoryLimit && EvictOldest(except: datagram)) { }
        if (BytesHeld + added > _options.MemoryLimit)
        {
            grown.Release();
            return false;
        }
        grown.SetLength(needed);
        if (buffer is not null)
        {
            buffer.Span.CopyTo(grown.Span);
            buffer.Release();
        }
        datagram.Buffer = grown;
        BytesHeld += added;
        return true;
    }

    /// <summary>Discards the datagram that started longest ago (other than <paramref name="except"/>), counted as a memory-limit drop.</summary>
    private bool EvictOldest(Datagram? except)
    {
        KeyValuePair<FragmentKey, Datagram>? oldest = null;
        foreach (var entry in _datagrams)
        {
            if (entry.Value != except && (oldest is null || entry.Value.Arrival < oldest.Value.Value.Arrival)) oldest = entry;
        }
        if (oldest is not { } victim) return false;
        _drops.Increment(DropReason.FragmentMemoryLimit);
        Discard(victim.Key, victim.Value);
        return true;
    }

    private void Expire(FragmentKey key, Datagram datagram)
    {
        lock (_gate)
        {
            if (_disposed || !_datagrams.TryGetValue(key, out var current) || current != datagram) return;
            _drops.Increment(DropReason.FragmentTimeout);
            Discard(key, datagram);
            if (datagram.FirstFragmentQuote is { } quote) _timedOut?.Invoke(quote);
        }
    }

    private void Discard(FragmentKey key, Datagram datagram)
    {
        _datagrams.Remove(key);
        datagram.Timeout?.Dispose();
        if (datagram.Buffer is { } buffer) BytesHeld -= buffer.Capacity;
        datagram.TakeBuffer()?.Release();
    }

    private readonly record struct FragmentKey(IPv4Address Source, IPv4Address Destination, IpProtocol Protocol, ushort Identification);

    /// <summary>One datagram being assembled: its buffer and the byte ranges already filled.</summary>
    private sealed class Datagram(byte ttl, long arrival)
    {
        /// <summary>Order in which datagrams were started: the smallest is evicted first.</summary>
        public long Arrival { get; } = arrival;

        // Filled ranges of payload offsets, sorted and merged: few in practice (one when in order).
        private readonly List<(int Start, int End)> _filled = new();

        public byte Ttl { get; } = ttl;
        public PooledPacket? Buffer { get; set; }
        public IDisposable? Timeout { get; set; }

        /// <summary>The first fragment's IP header and 8 data bytes, kept once it arrives, for a Time Exceeded.</summary>
        public byte[]? FirstFragmentQuote { get; set; }
        public int Fragments { get; private set; }

        /// <summary>Payload length, once the last fragment (MF clear) has arrived; -1 before.</summary>
        public int TotalEnd { get; set; } = -1;

        public bool IsComplete => TotalEnd >= 0 && _filled.Count == 1 && _filled[0].Start == 0 && _filled[0].End == TotalEnd;

        /// <summary>Whether a fragment ending at <paramref name="end"/> agrees with what is known of the datagram's end.</summary>
        public DropReason CheckEnd(bool moreFragments, int end)
        {
            if (TotalEnd >= 0)
            {
                if (end > TotalEnd || (!moreFragments && end != TotalEnd)) return DropReason.FragmentTooLong;
            }
            else if (!moreFragments && _filled.Count > 0 && _filled[^1].End > end)
            {
                return DropReason.FragmentTooLong;
            }
            return DropReason.None;
        }

        /// <summary>Copies the fragment's bytes in; false when it overlaps held bytes that differ.</summary>
        public bool Write(int start, ReadOnlySpan<byte> data)
        {
            var payload = Buffer!.Span[HeaderRoom..];
            int end = start + data.Length;
            foreach (var (s, e) in _filled)
            {
                int from = Math.Max(s, start), to = Math.Min(e, end);
                if (from < to && !payload[from..to].SequenceEqual(data[(from - start)..(to - start)])) return false;
            }
            data.CopyTo(payload[start..]);
            Fragments++;
            Add(start, end);
            return true;
        }

        public PooledPacket? TakeBuffer()
        {
            var buffer = Buffer;
            Buffer = null;
            return buffer;
        }

        private void Add(int start, int end)
        {
            if (start == end) return;
            int i = 0;
            while (i < _filled.Count && _filled[i].End < start) i++;
            int s = start, e = end;
            while (i < _filled.Count && _filled[i].Start <= e)
            {
                s = Math.Min(s, _filled[i].Start);
                e = Math.Max(e, _filled[i].End);
                _filled.RemoveAt(i);
            }
            _filled.Insert(i, (s, e));
        }
    }
}
