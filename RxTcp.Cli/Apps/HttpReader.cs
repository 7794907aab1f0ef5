namespace RxTcp.Cli.Apps;

/// <summary>
/// Reads HTTP/1.x messages from a byte stream: heads, then bodies by length, by chunks or to the
/// end. Bytes read past a head stay buffered for the body or the next message (pipelining).
/// </summary>
public sealed class HttpReader
{
    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private int _start, _end;

    /// <summary>Reads from <paramref name="stream"/>; <paramref name="bufferSize"/> is also the largest head accepted.</summary>
    public HttpReader(Stream stream, int bufferSize = 64 * 1024)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _buffer = new byte[bufferSize];
    }

    /// <summary>Reads the next head; null when the stream ends cleanly before one starts.</summary>
    /// <exception cref="HttpFormatException">Malformed, too large (431), or cut off by the end of the stream.</exception>
    public async Task<HttpHead?> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (HttpHead.TryParse(_buffer.AsSpan(_start, _end - _start), out var head, out int consumed))
            {
                _start += consumed;
                return head;
            }
            Compact();
            if (_end == _buffer.Length) throw new HttpFormatException(431, $"message head larger than {_buffer.Length} bytes");
            int n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (_buffer.AsSpan(_start, _end - _start).IndexOfAnyExcept((byte)'\r', (byte)'\n') < 0) return null;
                throw new HttpFormatException(400, "the connection closed in the middle of a message head");
            }
            _end += n;
        }
    }

    /// <summary>Reads body bytes: what is buffered first, then the stream. Returns 0 at the end of the stream.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_end > _start)
        {
            int n = Math.Min(destination.Length, _end - _start);
            _buffer.AsMemory(_start, n).CopyTo(destination);
            _start += n;
            return n;
        }
        return await _stream.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies a body to <paramref name="output"/> (null: drops it): <paramref name="length"/> bytes,
    /// or, when null, everything up to the end of the stream. Returns the bytes copied.
    /// </summary>
    /// <exception cref="IOException">The stream ended before <paramref name="length"/> bytes.</exception>
    public async Task<long> CopyBodyAsync(long? length, Stream? output, Memory<byte> scratch, CancellationToken cancellationToken = default)
    {
        long copied = 0;
        while (length is null || copied < length)
        {
            var room = length is { } l ? scratch[..(int)Math.Min(scratch.Length, l - copied)] : scratch;
            int n = await ReadAsync(room, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (length is null) break;
                throw new IOException($"the connection closed after {copied} of {length} body bytes");
            }
            if (output is not null) await output.WriteAsync(room[..n], cancellationToken).ConfigureAwait(false);
            copied += n;
        }
        return copied;
    }

    /// <summary>Copies a <c>Transfer-Encoding: chunked</c> body (RFC 9112 §7.1), trailers dropped. Returns the body bytes.</summary>
    /// <exception cref="HttpFormatException">Bad chunk framing.</exception>
    /// <exception cref="IOException">The stream ended inside the body.</exception>
    public async Task<long> CopyChunkedBodyAsync(Stream? output, Memory<byte> scratch, CancellationToken cancellationToken = default)
    {
        long total = 0;
        while (true)
        {
            var sizeLine = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            var hex = sizeLine.Split(';', 2)[0].Trim();
            if (!long.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, null, out long size) || size < 0 || hex.Length > 15)
                throw new HttpFormatException(400, $"bad chunk size '{HttpHead.Shorten(sizeLine)}'");
            if (size == 0) break;
            total += await CopyBodyAsync(size, output, scratch, cancellationToken).ConfigureAwait(false);
            if ((await ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length != 0)
                throw new HttpFormatException(400, "chunk data longer than its size");
        }
        while ((await ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length != 0) { } // trailer fields
        return total;
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = System.Text.Encoding.Latin1.GetString(_buffer, _start, newline).TrimEnd('\r');
                _start += newline + 1;
                return line;
            }
            Compact();
            if (_end == _buffer.Length) throw new HttpFormatException(400, "line too long in a chunked body");
            int n = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new IOException("the connection closed inside a chunked body");
            _end += n;
        }
    }

    private void Compact()
    {
        if (_start == 0) return;
        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
        _end -= _start;
        _start = 0;
    }
}
