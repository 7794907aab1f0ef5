using System.Diagnostics;

namespace Reactive.Tcp.Wire;

/// <summary>
/// One packet in a pooled buffer, with a reference count: whoever holds a reference may read
/// <see cref="Memory"/>, and the buffer goes back to the pool when the last holder calls
/// <see cref="Release"/>. This is how packets travel from a stack to a
/// link (<c>ILink</c>) without a new array per packet.
/// </summary>
/// <remarks>
/// <para>Rules: <see cref="Rent"/> hands out one reference. <see cref="AddRef"/> adds one (e.g. a
/// wire that delivers the packet twice). Each reference is released exactly once, and no one reads
/// <see cref="Memory"/> (or a span taken from it) after releasing their reference. Releasing twice
/// or reading after the last release is a bug; <see cref="Memory"/> throws once the count is zero,
/// and Debug builds overwrite a released buffer with 0xDB bytes so that anyone still holding a
/// slice of it sees garbage (and fails checksums) rather than a plausible packet.</para>
/// <para>The pool keeps a bounded number of buffers per size class (up to 8 MiB per class), so a
/// burst larger than that allocates, and steady traffic does not.</para>
/// </remarks>
public sealed class PooledPacket
{
    // Size classes: 2 KiB (a 1500-byte MTU), then powers of two up to 64 KiB (the largest IPv4 packet).
    private const int SmallestClassShift = 11;
    private const int ClassCount = 6;
    private const int RetainedBytesPerClass = 8 * 1024 * 1024;
    private static readonly ClassPool[] Pools = CreatePools();
    private static long _outstanding;

    private readonly byte[] _buffer;
    private readonly int _class;
    private int _length;
    private int _references;

    private PooledPacket(byte[] buffer, int sizeClass)
    {
        _buffer = buffer;
        _class = sizeClass;
    }

    /// <summary>Packet length in bytes.</summary>
    public int Length => _length;

    /// <summary>The packet: valid while the caller holds a reference.</summary>
    /// <exception cref="ObjectDisposedException">Every reference has been released.</exception>
    public ReadOnlyMemory<byte> Memory
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _references) <= 0, this);
            return new ReadOnlyMemory<byte>(_buffer, 0, _length);
        }
    }

    /// <summary>The writable packet bytes, for whoever rented it and is filling it in.</summary>
    /// <exception cref="ObjectDisposedException">Every reference has been released.</exception>
    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _references) <= 0, this);
            return new Span<byte>(_buffer, 0, _length);
        }
    }

    /// <summary>Bytes the underlying buffer holds: <see cref="SetLength"/> may grow the packet up to this without renting again.</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>Changes the packet's length within <see cref="Capacity"/> (a reassembly buffer trimmed to the datagram it ended up holding).</summary>
    internal void SetLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _buffer.Length);
        _length = length;
    }

    /// <summary>
    /// Packets rented and not yet released by their last holder, across the process: a leak check
    /// for soak tests (a dropped or abandoned packet that nobody releases shows up here).
    /// </summary>
    internal static long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Bytes of buffers the pool keeps for reuse right now (bounded per size class): lets a memory baseline discount the pool's growth.</summary>
    internal static long RetainedBytes
    {
        get
        {
            long total = 0;
            for (int i = 0; i < ClassCount; i++) total += (long)Pools[i].Count << (i + SmallestClassShift);
            return total;
        }
    }

    /// <summary>References currently held (for tests and diagnostics).</summary>
    public int References => Volatile.Read(ref _references);

    /// <summary>Rents a buffer for a packet of <paramref name="length"/> bytes, holding one reference.</summary>
    /// <param name="length">Packet length, 0 to 65535.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is out of range.</exception>
    public static PooledPacket Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, ushort.MaxValue);
        int sizeClass = ClassOf(length);
        var packet = Pools[sizeClass].TryTake() ?? new PooledPacket(new byte[1 << (sizeClass + SmallestClassShift)], sizeClass);
        packet._length = length;
        packet._references = 1;
        Interlocked.Increment(ref _outstanding);
        return packet;
    }

    /// <summary>Rents a buffer and copies <paramref name="packet"/> into it.</summary>
    /// <param name="packet">The bytes to copy.</param>
    public static PooledPacket CopyOf(ReadOnlySpan<byte> packet)
    {
        var pooled = Rent(packet.Length);
        packet.CopyTo(pooled._buffer);
        return pooled;
    }

    /// <summary>Takes one more reference, to be released separately; returns this packet.</summary>
    /// <exception cref="ObjectDisposedException">Every reference has already been released.</exception>
    public PooledPacket AddRef()
    {
        while (true)
        {
            int current = Volatile.Read(ref _references);
            ObjectDisposedException.ThrowIf(current <= 0, this);
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current) return this;
        }
    }

    /// <summary>Gives back one reference; the last one returns the buffer to the pool.</summary>
    /// <exception cref="InvalidOperationException">More releases than references (a double release).</exception>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left > 0) return;
        if (left < 0)
        {
            // Restore the count so the buffer is not handed out twice by a second faulty release.
            Interlocked.Increment(ref _references);
            throw new InvalidOperationException("A pooled packet was released more times than it was referenced.");
        }
        Interlocked.Decrement(ref _outstanding);
        Poison();
        Pools[_class].Return(this);
    }

    [Conditional("DEBUG")]
    private void Poison() => _buffer.AsSpan().Fill(0xDB);

    private static int ClassOf(int length)
    {
        int needed = Math.Max(length, 1 << SmallestClassShift);
        int shift = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)needed - 1);
        return shift - SmallestClassShift;
    }

    private static ClassPool[] CreatePools()
    {
        var pools = new ClassPool[ClassCount];
        for (int i = 0; i < ClassCount; i++) pools[i] = new ClassPool(RetainedBytesPerClass >> (i + SmallestClassShift));
        return pools;
    }

    // A lock and an array stack: packets are rented on one stack's thread and often released on
    // another's (the receiving end of a wire), so thread-local caches would just drain one side.
    private sealed class ClassPool(int capacity)
    {
        private readonly PooledPacket[] _items = new PooledPacket[capacity];
        private readonly Lock _gate = new();
        private int _count;

        public int Count
        {
            get { lock (_gate) return _count; }
        }

        public PooledPacket? TryTake()
        {
            lock (_gate)
            {
                if (_count == 0) return null;
                var item = _items[--_count];
                _items[_count] = null!;
                return item;
            }
        }

        public void Return(PooledPacket packet)
        {
            lock (_gate)
            {
                if (_count < _items.Length) _items[_count++] = packet;
            }
        }
    }
}
