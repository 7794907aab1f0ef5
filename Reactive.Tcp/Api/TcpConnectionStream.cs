using System.Buffers;
using System.Threading.Channels;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Api;

/// <summary>
/// A <see cref="Stream"/> over a <see cref="TcpConnection"/>. Reads ask the connection for at most
/// the caller's buffer size (read credit), so an idle reader closes the TCP window instead of
/// buffering without bound; writes wait for send-buffer room.
/// </summary>
internal sealed class TcpConnectionStream : Stream
{
    private readonly TcpConnection _connection;
    private readonly IConnectionSeam _seam;
    private readonly Channel<ReadOnlyMemory<byte>> _chunks = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CreditReader _reader;
    private ReadOnlyMemory<byte> _leftover;
    // Read credit granted and not yet used by delivered bytes. New credit is granted only when it
    // is all used, so at most one read's buffer is ever in flight to this stream.
    private long _creditRemaining;
    private bool _disposed;

    public TcpConnectionStream(TcpConnection connection, IConnectionSeam seam)
    {
        _connection = connection;
        _seam = seam;
        _reader = new CreditReader(_chunks.Writer);
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        if (_leftover.IsEmpty)
        {
            if (_creditRemaining <= 0 && !_chunks.Reader.TryPeek(out _))
            {
                _creditRemaining = buffer.Length;
                _reader.Prepare(buffer.Length);
                _seam.GrantCredit(_reader, buffer.Length);
            }
            if (!await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_reader.Error is { } error) throw new IOException(error.Message, error);
                return 0;
            }
            _chunks.Reader.TryRead(out _leftover);
            _creditRemaining -= _leftover.Length;
        }
        int n = Math.Min(buffer.Length, _leftover.Length);
        _leftover.Span[..n].CopyTo(buffer.Span);
        _leftover = _leftover[n..];
        // Every credited byte read: the staging array goes back to the pool, so a connection
        // waiting for its next request holds none.
        if (_leftover.IsEmpty && _creditRemaining <= 0 && !_chunks.Reader.TryPeek(out _)) _reader.Release();
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // The stack reads the caller's memory later, so hand it a copy the caller cannot change.
        await _connection.SendAsync(buffer.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            _reader.Release();
            _connection.Close();
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// Receives delivered chunks on the pipeline and hands them to the reading task. Delivered
    /// memory is valid only during <c>OnNext</c>, so each chunk is copied into a staging array
    /// rented from the shared pool when the first bytes of a grant arrive and given back once the
    /// reader has read them all. One grant's credit bounds what it stages; new credit is granted
    /// only once every staged byte has been read. The lock orders the pipeline's copying against
    /// the reader's preparing and releasing.
    /// </summary>
    private sealed class CreditReader(ChannelWriter<ReadOnlyMemory<byte>> writer) : IObserver<ReadOnlyMemory<byte>>
    {
        private readonly object _gate = new();
        private byte[]? _staging;
        private int _room;
        private int _staged;

        public Exception? Error { get; private set; }

        /// <summary>Makes room for <paramref name="credit"/> bytes; called before the credit is granted, with nothing staged unread.</summary>
        public void Prepare(int credit)
        {
            lock (_gate)
            {
                _room = credit;
                _staged = 0;
            }
        }

        /// <summary>Gives the staging array back; called when nothing staged is left unread.</summary>
        public void Release()
        {
            lock (_gate)
            {
                if (_staging is { } staging) ArrayPool<byte>.Shared.Return(staging);
                _staging = null;
                _room = _staged = 0;
            }
        }

        public void OnNext(ReadOnlyMemory<byte> value)
        {
            ReadOnlyMemory<byte> owned;
            lock (_gate)
            {
                if (value.Length <= _room - _staged)
                {
                    _staging ??= ArrayPool<byte>.Shared.Rent(_room);
                    var into = _staging.AsMemory(_staged, value.Length);
                    value.Span.CopyTo(into.Span);
                    _staged += value.Length;
                    owned = into;
                }
                else owned = value.ToArray(); // Beyond the credit: only the bytes left at a graceful close.
            }
            writer.TryWrite(owned);
        }

        public void OnError(Exception error) { Error = error; writer.TryComplete(); }
        public void OnCompleted() => writer.TryComplete();
    }
}
