using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Linux;

/// <summary>
/// The writer side of a <see cref="TunLink"/>: packets handed over by any thread wait here and a
/// writer thread writes everything that has gathered in one loop, then sleeps until more comes.
/// A stack thread thus never does the kernel's receive work (which runs inside each TUN
/// <c>write()</c>), and a burst of packets from one pipeline turn costs one wake-up. Packets are
/// written in the order they were queued, whichever thread queued them.
/// The queue is bounded in bytes; beyond the bound a packet is dropped and counted, as a full
/// device queue drops it.
/// </summary>
internal sealed class TunWriteQueue : IDisposable
{
    /// <summary>One packet waiting: its bytes, and the pooled buffer to release once written (if pooled).</summary>
    public readonly record struct Item(ReadOnlyMemory<byte> Memory, PooledPacket? Pooled)
    {
        public void Release() => Pooled?.Release();
    }

    private readonly object _gate = new();
    private readonly Func<ReadOnlyMemory<byte>, bool> _write;
    private readonly long _byteLimit;
    private readonly Thread _thread;
    private List<Item> _pending = new(256), _writing = new(256);
    private long _pendingBytes;
    private bool _writerWaiting, _stopping;
    private long _dropped, _batches, _written;

    /// <param name="name">Name of the writer thread.</param>
    /// <param name="write">Writes one packet to the device; false when it failed (the caller counts it).</param>
    /// <param name="byteLimit">Bytes that may wait at once; more are dropped.</param>
    public TunWriteQueue(string name, Func<ReadOnlyMemory<byte>, bool> write, long byteLimit)
    {
        _write = write;
        _byteLimit = byteLimit;
        _thread = new Thread(WriteLoop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Packets dropped because the queue was full (or the link closing).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Times the writer woke and wrote what had gathered.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Packets handed to the device by the writer (written or failed).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>
    /// Queues one packet; the queue owns it from now on. Without <paramref name="wake"/> a sleeping
    /// writer is left asleep until <see cref="Wake"/> (a writer at work takes the packet anyway).
    /// </summary>
    public void Enqueue(Item item, bool wake = true)
    {
        bool accepted;
        lock (_gate)
        {
            accepted = Admit(item);
            if (accepted && wake && _writerWaiting) Monitor.Pulse(_gate);
        }
        if (!accepted) item.Release();
    }

    /// <summary>Wakes the writer if it sleeps while packets wait (the end of a turn whose packets were queued without waking it).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            if (_writerWaiting && _pending.Count > 0) Monitor.Pulse(_gate);
        }
    }

    /// <summary>Writes out what is still queued, then stops the writer thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.Pulse(_gate);
        }
        if (Thread.CurrentThread != _thread) _thread.Join();
    }

    private bool Admit(Item item)
    {
        if (_stopping || (_pendingBytes + item.Memory.Length > _byteLimit && _pending.Count > 0))
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        _pending.Add(item);
        _pendingBytes += item.Memory.Length;
        return true;
    }

    private void WriteLoop()
    {
        while (true)
        {
            lock (_gate)
            {
                while (_pending.Count == 0)
                {
                    if (_stopping) return;
                    _writerWaiting = true;
                    Monitor.Wait(_gate);
                    _writerWaiting = false;
                }
                (_pending, _writing) = (_writing, _pending);
                _pendingBytes = 0;
            }
            Interlocked.Increment(ref _batches);
            foreach (var item in _writing)
            {
                try
                {
                    _write(item.Memory);
                }
                finally
                {
                    item.Release();
                }
            }
            Interlocked.Add(ref _written, _writing.Count);
            _writing.Clear();
        }
    }
}
