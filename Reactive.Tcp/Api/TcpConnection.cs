using System.Reactive;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Transport;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Api;

/// <summary>
/// One established TCP connection, as Rx: <see cref="Received"/> is the peer's byte stream,
/// <see cref="Send"/> queues bytes with back-pressure, <see cref="Close"/> sends FIN,
/// <see cref="Abort"/> sends RST, <see cref="States"/> follows the state machine.
/// </summary>
public sealed class TcpConnection : IConnectionFacade
{
    private readonly IConnectionSeam _seam;
    // Made when someone first subscribes to States (most connections are never watched); until
    // then the state lives in _state alone. Guarded by _stateGate against the pipeline publishing.
    private BehaviorSubject<TcpState>? _states;
    private volatile TcpState _state = TcpState.Established;
    private bool _terminated;
    private int _readerAttached;

    internal TcpConnection(IConnectionSeam seam) => _seam = seam;

    /// <summary>The transport's side of this connection (for tests that look inside).</summary>
    internal IConnectionSeam Seam => _seam;

    private object StateGate => this;

    /// <summary>The 4-tuple, seen from this stack.</summary>
    public ConnectionKey Key => _seam.Key;

    /// <summary>The current state.</summary>
    public TcpState State => _state;

    /// <summary>Why the connection failed, once it has; <see cref="TcpError.None"/> otherwise.</summary>
    public TcpError Error { get; private set; }

    /// <summary>State changes, starting with the current state; completes at CLOSED.</summary>
    public IObservable<TcpState> States => Observable.Defer(() =>
    {
        lock (StateGate)
        {
            if (_states is null)
            {
                _states = new BehaviorSubject<TcpState>(_state);
                if (_terminated) _states.OnCompleted();
            }
            return _states.AsObservable();
        }
    });

    /// <summary>
    /// The bytes the peer sends, in order. One subscriber at a time; while nobody subscribes,
    /// data stays in the receive buffer and the advertised window closes (flow control).
    /// Completes after the peer's FIN; fails with <see cref="TcpException"/> on reset or time-out.
    /// </summary>
    /// <remarks>
    /// <para><b>Each <see cref="ReadOnlyMemory{T}"/> is valid only during the <c>OnNext</c> call that
    /// carries it.</b> It is a slice of the connection's receive buffer, not a copy (so steady bulk
    /// receiving allocates nothing), and the stack reuses those bytes for new data once
    /// <c>OnNext</c> returns. Use it inside <c>OnNext</c> (parse it, hash it, write it somewhere,
    /// copy it); do not store it, and do not pass it through operators that hand it on later
    /// (<c>ObserveOn</c>, <c>Buffer</c>, <c>Delay</c>, <c>ToList</c>, <c>Replay</c>, a channel, a
    /// <c>Task</c> continuation) without copying first.</para>
    /// <para>To keep the bytes, subscribe to <see cref="ReceivedCopies"/> instead, or copy
    /// yourself: <c>Received.Select(m =&gt; m.ToArray())</c>. When the receive buffer wraps, one
    /// arrival may come as two calls; chunk boundaries carry no meaning.</para>
    /// </remarks>
    public IObservable<ReadOnlyMemory<byte>> Received => new ReceivedObservable(this);

    /// <summary>
    /// <see cref="Received"/> with each chunk copied into a new array that the subscriber owns and
    /// may keep, at the price of one allocation per chunk.
    /// </summary>
    public IObservable<ReadOnlyMemory<byte>> ReceivedCopies() => Received.Select(static m => (ReadOnlyMemory<byte>)m.ToArray());

    /// <summary>
    /// Queues <paramref name="data"/> for sending. Cold: subscribing queues it; the observable
    /// yields once when every byte is in the send buffer (so a full buffer makes the sender wait)
    /// and fails if the connection ends first. Do not change <paramref name="data"/> until then.
    /// </summary>
    public IObservable<Unit> Send(ReadOnlyMemory<byte> data) => Observable.Create<Unit>(observer =>
    {
        if (data.IsEmpty) { observer.OnNext(Unit.Default); observer.OnCompleted(); return Disposable.Empty; }
        _seam.Send(data, observer);
        return Disposable.Empty;
    });

    /// <summary>Queues <paramref name="data"/>; completes once it is all in the send buffer.</summary>
    public Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = Send(data).Subscribe(_ => { }, e => done.TrySetException(e), () => done.TrySetResult());
        if (cancellationToken.CanBeCanceled)
            cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        return done.Task;
    }

    /// <summary>Graceful close: a FIN goes out after the queued data. Receiving goes on until the peer's FIN.</summary>
    public void Close() => _seam.Close();

    /// <summary>Abort: RST to the peer, queued data dropped, observables fail with <see cref="TcpError.Aborted"/>.</summary>
    public void Abort() => _seam.Abort();

    /// <summary>A <see cref="Stream"/> over this connection for ordinary .NET code (disposing it closes gracefully).</summary>
    public Stream AsStream() => new TcpConnectionStream(this, _seam);

    /// <summary>An <see cref="System.IO.Pipelines.IDuplexPipe"/> over this connection (completing <c>Output</c> closes gracefully).</summary>
    public System.IO.Pipelines.IDuplexPipe AsDuplexPipe() => new TcpConnectionPipe(AsStream());

    /// <summary>Smoothed round-trip time, once measured.</summary>
    public TimeSpan SmoothedRtt => TimeSpan.FromTicks(_seam.SmoothedRttTicks);

    /// <summary><c>local &gt; remote (state)</c>.</summary>
    public override string ToString() => $"{Key} ({State})";

    void IConnectionFacade.OnState(TcpState state) => PublishState(state);

    void IConnectionFacade.OnTerminated(TcpError error) => Terminate(error);

    private void PublishState(TcpState state)
    {
        BehaviorSubject<TcpState>? states;
        lock (StateGate)
        {
            if (_terminated || _state == state) return;
            _state = state;
            states = _states;
        }
        states?.OnNext(state);
    }

    private void Terminate(TcpError error)
    {
        Error = error;
        PublishState(TcpState.Closed);
        BehaviorSubject<TcpState>? states;
        lock (StateGate)
        {
            if (_terminated) return;
            _terminated = true;
            states = _states;
        }
        states?.OnCompleted();
    }

    private IDisposable AttachReader(IObserver<ReadOnlyMemory<byte>> observer)
    {
        if (Interlocked.CompareExchange(ref _readerAttached, 1, 0) != 0)
        {
            observer.OnError(new InvalidOperationException("Received allows one subscriber at a time."));
            return Disposable.Empty;
        }
        var reader = new ReaderObserver(observer, this);
        _seam.AttachReader(reader);
        return reader;
    }

    /// <summary><see cref="Received"/>: a small object made per use, so an idle connection carries none.</summary>
    private sealed class ReceivedObservable(TcpConnection connection) : IObservable<ReadOnlyMemory<byte>>
    {
        public IDisposable Subscribe(IObserver<ReadOnlyMemory<byte>> observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            return connection.AttachReader(observer);
        }
    }

    /// <summary>
    /// The reader the pipeline delivers to, and the subscription that detaches it: it stops
    /// forwarding at once on disposal, since the detach reaches the pipeline later.
    /// </summary>
    private sealed class ReaderObserver(IObserver<ReadOnlyMemory<byte>> inner, TcpConnection connection) : IObserver<ReadOnlyMemory<byte>>, IDisposable
    {
        private volatile bool _stopped;
        private int _disposed;

        public void OnNext(ReadOnlyMemory<byte> value) { if (!_stopped) inner.OnNext(value); }

        // A terminal notification also ends the subscription, as Observable.Create's would.
        public void OnError(Exception error)
        {
            if (_stopped) return;
            _stopped = true;
            try { inner.OnError(error); }
            finally { Dispose(); }
        }

        public void OnCompleted()
        {
            if (_stopped) return;
            _stopped = true;
            try { inner.OnCompleted(); }
            finally { Dispose(); }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _stopped = true;
            Volatile.Write(ref connection._readerAttached, 0);
            connection._seam.DetachReader(this);
        }
    }
}
