using System.Buffers.Binary;
using System.Security.Cryptography;
using Reactive.Tcp.Api;

namespace RxTcp.Cli;

/// <summary>
/// One end of the demo transfer: generates the bytes it sends from a seed (hashing them as they
/// go), hashes what it receives, and remembers how and when its connection ended. Written only on
/// the stacks' scheduler; counters are safe to read from another thread for the progress bar.
/// </summary>
internal sealed class DemoSide : IDisposable
{
    /// <summary>Size of one <c>Send</c>; the next chunk is produced once the previous one is in the send buffer.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly IncrementalHash _sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _chunk;
    private ulong _random;
    private long _queued;
    private long _received;

    /// <summary>A side called <paramref name="name"/> that sends <paramref name="bytesToSend"/> bytes generated from <paramref name="seed"/>.</summary>
    public DemoSide(string name, long bytesToSend, ulong seed)
    {
        Name = name;
        BytesToSend = bytesToSend;
        _random = seed;
        _chunk = new byte[(int)Math.Min(ChunkSize, Math.Max(bytesToSend, 1))];
    }

    /// <summary>"server" or "client".</summary>
    public string Name { get; }

    /// <summary>How many bytes this side sends.</summary>
    public long BytesToSend { get; }

    /// <summary>How many <see cref="ChunkSize"/> chunks that is.</summary>
    public int ChunkCount => (int)((BytesToSend + ChunkSize - 1) / ChunkSize);

    /// <summary>The connection, once established.</summary>
    public TcpConnection? Connection { get; set; }

    /// <summary>Bytes handed to <c>Send</c> and accepted into the send buffer so far.</summary>
    public long BytesQueued => Interlocked.Read(ref _queued);

    /// <summary>Bytes received so far.</summary>
    public long BytesReceived => Interlocked.Read(ref _received);

    /// <summary>The first failure seen on this side (connect, send or receive), if any.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Every byte is in the send buffer and <c>Close()</c> was called.</summary>
    public bool SendCompleted { get; set; }

    /// <summary>The peer's FIN arrived after all its data.</summary>
    public bool ReceiveCompleted { get; private set; }

    /// <summary>Wall time from the start when <see cref="ReceiveCompleted"/> became true.</summary>
    public TimeSpan ReceiveCompletedWall { get; private set; }

    /// <summary>Scheduler time from the start when <see cref="ReceiveCompleted"/> became true.</summary>
    public TimeSpan ReceiveCompletedClock { get; private set; }

    /// <summary>The connection's <c>States</c> completed: it reached CLOSED.</summary>
    public bool Terminated { get; private set; }

    /// <summary>SHA-256 of everything queued for sending (final once the side is done).</summary>
    public byte[] SentDigest { get; private set; } = [];

    /// <summary>SHA-256 of everything received (final once the side is done).</summary>
    public byte[] ReceivedDigest { get; private set; } = [];

    /// <summary>Fills the chunk buffer with the next seeded bytes, hashes them and returns them for <c>Send</c>.</summary>
    public ReadOnlyMemory<byte> NextChunk()
    {
        long offset = BytesQueued;
        int length = (int)Math.Min(_chunk.Length, BytesToSend - offset);
        var span = _chunk.AsSpan(0, length);
        Fill(span);
        _sentHash.AppendData(span);
        Interlocked.Add(ref _queued, length);
        return _chunk.AsMemory(0, length);
    }

    /// <summary>Hashes and counts one delivered slice (which is only valid during the call).</summary>
    public void OnReceived(ReadOnlySpan<byte> data)
    {
        _receivedHash.AppendData(data);
        Interlocked.Add(ref _received, data.Length);
    }

    /// <summary>Records the peer's FIN and when it arrived.</summary>
    public void OnReceiveCompleted(TimeSpan wall, TimeSpan clock)
    {
        ReceiveCompleted = true;
        ReceiveCompletedWall = wall;
        ReceiveCompletedClock = clock;
    }

    /// <summary>Records that the connection reached CLOSED.</summary>
    public void OnTerminated() => Terminated = true;

    /// <summary>Records <paramref name="error"/> unless an earlier failure is already recorded.</summary>
    public void Fail(Exception error) => Error ??= error;

    /// <summary>Computes <see cref="SentDigest"/> and <see cref="ReceivedDigest"/> over what was seen so far.</summary>
    public void FinishHashes()
    {
        if (SentDigest.Length == 0) SentDigest = _sentHash.GetHashAndReset();
        if (ReceivedDigest.Length == 0) ReceivedDigest = _receivedHash.GetHashAndReset();
    }

    /// <summary>Releases the hash objects.</summary>
    public void Dispose()
    {
        _sentHash.Dispose();
        _receivedHash.Dispose();
    }

    // SplitMix64: fast, seedable, and the same on every platform and runtime version.
    private void Fill(Span<byte> destination)
    {
        while (destination.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination, NextRandom());
            destination = destination[8..];
        }
        if (destination.Length > 0)
        {
            Span<byte> last = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(last, NextRandom());
            last[..destination.Length].CopyTo(destination);
        }
    }

    private ulong NextRandom()
    {
        ulong z = _random += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
