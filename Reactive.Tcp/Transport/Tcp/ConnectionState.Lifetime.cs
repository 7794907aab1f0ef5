using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Transport;

// How a connection ends (its group's duration: the CLOSED signal), what happens to commands that
// arrive after it ended, and its one timer.
internal sealed partial class ConnectionState : IObservable<Unit>
{
    private IObserver<Unit>? _closedObserver;
    private byte[]? _unread;

    /// <summary>The connection is gone (CLOSED): its group has ended or is ending.</summary>
    public bool Finished { get; private set; }

    /// <summary>
    /// Fires once when the connection is CLOSED, to its one subscriber: the duration that ends the
    /// connection's group in <c>GroupByUntilClosed</c>.
    /// </summary>
    public IDisposable Subscribe(IObserver<Unit> observer)
    {
        if (Finished)
        {
            observer.OnNext(Unit.Default);
            observer.OnCompleted();
        }
        else _closedObserver = observer;
        // Nothing to undo: the observer is let go when the connection closes, as the state is.
        return Disposable.Empty;
    }

    /// <summary>A command arrived after the connection finished (or never reached it): fail what the application is waiting on.</summary>
    public void Reject(in TcpInput input)
    {
        var error = new TcpException(Tcb?.Error ?? TcpError.None, "The connection is closed.");
        switch (input.Command)
        {
            case ConnectionCommand.Connect:
                Finish(TcpError.Aborted);
                break;
            case ConnectionCommand.Enqueue:
                ((PendingSend)input.Argument!).Observer.OnError(error);
                break;
            case ConnectionCommand.AttachReader:
            case ConnectionCommand.GrantCredit:
                var reader = (IObserver<ReadOnlyMemory<byte>>)input.Argument!;
                if (ReceiveDone || Tcb?.Error is null or TcpError.None)
                {
                    if (_unread is { } unread)
                    {
                        _unread = null;
                        reader.OnNext(unread);
                    }
                    reader.OnCompleted();
                }
                else reader.OnError(error);
                break;
        }
    }

    /// <summary>A <c>Connect</c> the stack would not attempt: its observer hears <paramref name="error"/>.</summary>
    public void Refuse(TcpException error)
    {
        var observer = _connectObserver;
        _connectObserver = null;
        Finish(TcpError.Aborted);
        observer?.OnError(error);
    }

    /// <summary>Ends the connection from outside the step (the stack's link failed, or the stack was disposed): as if it had closed with <paramref name="error"/>.</summary>
    public void Fail(TcpError error) => Finish(error);

    /// <summary>The connection lives on as a TIME-WAIT record: its group ends, and nothing else (the record tells the application when it is CLOSED).</summary>
    private void Retire()
    {
        Finished = true;
        CancelWake();
        SignalClosed();
    }

    private void SignalClosed()
    {
        if (_closedObserver is { } closed)
        {
            _closedObserver = null;
            closed.OnNext(Unit.Default);
            closed.OnCompleted();
        }
    }

    private void Finish(TcpError error)
    {
        if (Finished) return;
        Finished = true;
        CancelWake();
        var transport = _transport;
        transport.Connections.Remove(Key, row => row with { CloseReason = ConnectionCloseReasons.From(error) });
        if (Active || Tcb?.PassiveOpen == true) transport.Ports.Release(Key.LocalPort);
        if (_synQueue is not null)
        {
            transport.LeaveSynQueue(_synQueue);
            _synQueue = null;
        }

        var exception = error == TcpError.None ? null : new TcpException(error);
        if (_connectObserver is { } connectObserver)
        {
            _connectObserver = null;
            connectObserver.OnError(exception ?? new TcpException(TcpError.Aborted, "The connection attempt was cancelled."));
        }
        while (_sends.Count > 0)
            _sends.Dequeue().Observer.OnError(exception ?? new TcpException(TcpError.None, "The connection closed before the data was sent."));
        // A graceful close can come while received bytes still wait for a reader (none subscribed
        // yet, or a stream reader short of credit): they were acknowledged, so they must not vanish
        // with the block. Nobody steps the block any more, so they are kept here for a late reader.
        if (exception is null && Tcb is { ReceiveQueued: > 0 } tcb)
        {
            _unread = new byte[tcb.ReceiveQueued];
            tcb.ReceiveBuffer.CopyTo(0, _unread);
            tcb.ReceiveBuffer.Discard(_unread.Length);
        }
        Tcb?.ReleaseBuffers(); // Nothing reads them any more: transmit payloads were serialised, unread bytes copied.
        var reader = _reader;
        _reader = null;
        if (reader is not null)
        {
            if (exception is not null) reader.OnError(exception);
            else
            {
                if (_unread is { } unread)
                {
                    _unread = null;
                    reader.OnNext(unread);
                }
                reader.OnCompleted();
            }
        }
        Facade?.OnTerminated(error);
        SignalClosed();
    }

    /// <summary>When this connection's timer is armed to wake it; long.MaxValue when it is not.</summary>
    public long WakeAt { get; private set; } = long.MaxValue;

    private void ArmWake(long deadline)
    {
        // A later deadline waits for the earlier wake, after which the step re-arms.
        if (deadline == long.MaxValue || deadline >= WakeAt) return;
        WakeAt = deadline;
        _transport.Timers.Arm(this, deadline);
    }

    /// <summary>The timer came due: step the connection with a timer event (called by <see cref="ConnectionTimers"/>).</summary>
    public void Wake() => _transport.PostNow(TcpInput.For(this, ConnectionCommand.Wake));

    /// <summary>Cancels the pending timer (the connection finished).</summary>
    private void CancelWake() => WakeAt = long.MaxValue;
}
