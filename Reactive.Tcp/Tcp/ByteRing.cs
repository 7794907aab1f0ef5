using System.Buffers;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// A fixed-capacity ring of bytes. The send buffer keeps unacknowledged and unsent data in one;
/// the receive buffer keeps in-order undelivered data followed by out-of-order data written at its
/// offset, so reassembly needs no per-segment allocation. Its storage is rented from the shared
/// array pool on first write and given back by <see cref="Release"/>, so an idle connection that
/// never moved data holds no buffer at all.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference (one object fewer per
/// direction and connection); take it as <c>ref var ring = ref tcb.ReceiveBuffer</c>, never as a copy.
/// </remarks>
internal struct ByteRing
{
    private static long _rented;
    private readonly int _capacity;
    private byte[]? _storage;
    private int _head;

    public ByteRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>Total bytes the ring can hold.</summary>
    public readonly int Capacity => _capacity;

    /// <summary>Whether storage is currently rented.</summary>
    public readonly bool HasStorage => _storage is not null;

    /// <summary>
    /// Rings holding rented storage, across the process: a leak check for soak tests (a connection
    /// block dropped without <see cref="Release"/> keeps its buffers out of the pool).
    /// </summary>
    internal static long Rented => Interlocked.Read(ref _rented);

    private byte[] Storage => _storage ?? Rent();

    /// <summary>Gives the storage back to the pool; the ring is empty afterwards.</summary>
    public void Release()
    {
        if (_storage is { } storage)
        {
            ArrayPool<byte>.Shared.Return(storage);
            Interlocked.Decrement(ref _rented);
        }
        _storage = null;
        _head = 0;
        Count = 0;
    }

    private byte[] Rent()
    {
        _storage = ArrayPool<byte>.Shared.Rent(_capacity);
        Interlocked.Increment(ref _rented);
        return _storage;
    }

    /// <summary>Bytes held from the head (the committed, contiguous region).</summary>
    public int Count { get; private set; }

    /// <summary>Room left after the committed region.</summary>
    public readonly int Free => _capacity - Count;

    /// <summary>Appends as much of <paramref name="data"/> as fits; returns how much was copied.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, Free);
        WriteAt(Count, data[..n]);
        Count += n;
        return n;
    }

    /// <summary>Writes at <paramref name="offset"/> from the head without committing (reassembly).</summary>
    public void WriteAt(int offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0 || offset + data.Length > _capacity) throw new ArgumentOutOfRangeException(nameof(offset));
        if (data.IsEmpty) return;
        int start = (_head + offset) % _capacity;
        int first = Math.Min(data.Length, _capacity - start);
        data[..first].CopyTo(Storage.AsSpan(start));
        data[first..].CopyTo(Storage);
    }

    /// <summary>Marks <paramref name="count"/> more bytes after the committed region as held (written earlier by <see cref="WriteAt"/>).</summary>
    public void Commit(int count)
    {
        if (count < 0 || Count + count > _capacity) throw new ArgumentOutOfRangeException(nameof(count));
        Count += count;
    }

    /// <summary>Copies <paramref name="destination"/>.Length bytes starting at <paramref name="offset"/> from the head.</summary>
    public void CopyTo(int offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > _capacity) throw new ArgumentOutOfRangeException(nameof(offset));
        if (destination.IsEmpty) return;
        int start = (_head + offset) % _capacity;
        int first = Math.Min(destination.Length, _capacity - start);
        Storage.AsSpan(start, first).CopyTo(destination);
        Storage.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    /// <summary>
    /// The bytes at <paramref name="offset"/>: a slice of the ring when contiguous (valid until the
    /// ring is next changed), otherwise a copy.
    /// </summary>
    public ReadOnlyMemory<byte> Peek(int offset, int count)
    {
        if (count == 0) return ReadOnlyMemory<byte>.Empty;
        int start = (_head + offset) % _capacity;
        if (start + count <= _capacity) return Storage.AsMemory(start, count);
        var copy = new byte[count];
        CopyTo(offset, copy);
        return copy;
    }

    /// <summary>
    /// The <paramref name="count"/> bytes at <paramref name="offset"/> as slices of the ring, never
    /// a copy: <paramref name="first"/>, then <paramref name="second"/> (empty unless the bytes wrap
    /// past the ring's end). Valid until the ring is next changed.
    /// </summary>
    public void Peek(int offset, int count, out ReadOnlyMemory<byte> first, out ReadOnlyMemory<byte> second)
    {
        second = ReadOnlyMemory<byte>.Empty;
        if (count == 0)
        {
            first = ReadOnlyMemory<byte>.Empty;
            return;
        }
        if (offset < 0 || count < 0 || offset + count > _capacity) throw new ArgumentOutOfRangeException(nameof(offset));
        int start = (_head + offset) % _capacity;
        int run = Math.Min(count, _capacity - start);
        first = Storage.AsMemory(start, run);
        if (run < count) second = Storage.AsMemory(0, count - run);
    }

    /// <summary>
    /// Up to <paramref name="max"/> committed bytes from the head that lie in one piece of storage
    /// (shorter than asked when the region wraps past the ring's end). A slice, not a copy: valid
    /// until the ring is next written, even after <see cref="Discard"/> moves the head past it.
    /// </summary>
    public ReadOnlyMemory<byte> HeadRun(int max)
    {
        int n = Math.Min(max, Count);
        if (n <= 0) return ReadOnlyMemory<byte>.Empty;
        return Storage.AsMemory(_head, Math.Min(n, _capacity - _head));
    }

    /// <summary>Drops <paramref name="count"/> bytes from the head.</summary>
    public void Discard(int count)
    {
        if (count < 0 || count > Count) throw new ArgumentOutOfRangeException(nameof(count));
        _head = (_head + count) % _capacity;
        Count -= count;
        // The head must not snap back to 0 when the committed region empties: out-of-order bytes
        // written past it by WriteAt are addressed relative to the head and would be lost.
    }
}
