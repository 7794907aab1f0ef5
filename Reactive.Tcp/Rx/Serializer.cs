using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Rx;

/// <summary>
/// Runs a stack's inputs one at a time and never one inside another. Every input stream of a
/// stack (frames from its links, application commands, timer ticks) passes through
/// <see cref="SerializeExtensions.Serialize{T}"/> with the stack's one serializer, so the layers
/// below see a single serial stream.
/// </summary>
/// <remarks>
/// <para>Rx's <c>Synchronize</c> holds a re-entrant lock: an element that arrives on the same
/// thread while another is being processed (a link that loops a packet straight back, a scheduler
/// that runs work inline) would be handled in the middle of the first one's step. Here it waits in
/// a queue until the element in progress is done, as Rx's own trampolining schedulers do. Inputs
/// from other threads wait for the lock, as with <c>Synchronize</c>.</para>
/// <para><see cref="Gate"/> is held while an element is processed, so code that reads the stack's
/// tables under the gate sees them between elements only.</para>
/// </remarks>
internal sealed class Serializer
{
    private readonly Queue<PendingElement> _pending = new();
    private bool _busy;

    /// <summary>The lock held while an element is processed.</summary>
    public object Gate { get; } = new();

    /// <summary>Whether an element is being processed on the calling thread's behalf right now (for assertions).</summary>
    public bool Busy => _busy;

    /// <summary>Delivers <paramref name="value"/> now, or after the element in progress when called from inside it.</summary>
    /// <param name="downstream">Where the element goes.</param>
    /// <param name="value">The element.</param>
    /// <param name="copier">How to make the element outlive the call, for an element that must wait; null when it already does.</param>
    public void Deliver<T>(IObserver<T> downstream, T value, IElementCopier<T>? copier)
    {
        lock (Gate)
        {
            if (_busy)
            {
                _pending.Enqueue(new PendingElement<T>(downstream, value, copier));
                return;
            }
            _busy = true;
            try
            {
                downstream.OnNext(value);
                while (_pending.TryDequeue(out var next)) next.Run();
            }
            finally
            {
                _busy = false;
            }
        }
    }

    private abstract class PendingElement
    {
        public abstract void Run();
    }

    private sealed class PendingElement<T> : PendingElement
    {
        private readonly IObserver<T> _downstream;
        private readonly T _value;
        private readonly PooledPacket? _owned;

        public PendingElement(IObserver<T> downstream, T value, IElementCopier<T>? copier)
        {
            _downstream = downstream;
            _value = copier is null ? value : copier.Copy(value, out _owned);
        }

        public override void Run()
        {
            try
            {
                _downstream.OnNext(_value);
            }
            finally
            {
                _owned?.Release();
            }
        }
    }
}

/// <summary>Makes an element that borrows memory valid only during its <c>OnNext</c> (a link frame) safe to keep.</summary>
internal interface IElementCopier<T>
{
    /// <summary>A copy of <paramref name="value"/> whose memory lives in <paramref name="owned"/> (released after delivery).</summary>
    T Copy(T value, out PooledPacket? owned);
}
