using System.Reactive;
using System.Reactive.Concurrency;
using Reactive.Tcp.Api;
using Reactive.Tcp.Collections;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Stack;

/// <summary>
/// The edge around one connection's pure step: it turns stack events into <see cref="TcpEvent"/>s,
/// runs <see cref="TcpStep.Handle"/>, and carries out the effects (transmit, deliver, timers,
/// completion of the application's observables). Only the stack's serial pipeline calls it.
/// </summary>
/// <remarks>
/// It is also the observable that ends the connection's group in the stack's GroupByUntilClosed:
/// it fires once, at CLOSED, to its one subscriber. That and the other lazily made parts below
/// keep an idle connection small (issue 5: process memory per idle connection).
/// </remarks>
internal sealed partial class ConnectionHost : IObservable<Unit>, IRowSource<ConnectionInfo>
{
    private static readonly Queue<PendingSend> NoSends = new(0);
    private readonly TcpStack _stack;
    private Queue<PendingSend> _sends = NoSends; // made on the first send; an idle connection keeps none
    private IObserver<Unit>? _closedObserver;
    private TcpEffects? _effects;
    private IObserver<TcpConnection>? _connectObserver;
    private IObserver<ReadOnlyMemory<byte>>? _reader;
    private long _wakeAt = long.MaxValue;
    private IDisposable? _wake;
    private bool _pumpPosted;
    private bool _stepWasSegment;
    private bool _stepWasIcmp;
    private bool _stepWasPump;
    private bool _skipStep;
    private byte[]? _unread;

    public ConnectionHost(TcpStack stack, ConnectionKey key, IObserver<TcpConnection>? connectObserver = null)
    {
        _stack = stack;
        Key = key;
        _connectObserver = connectObserver;
        Active = connectObserver is not null;
    }

    public ConnectionKey Key { get; }
    public Tcb? Tcb { get; private set; }

    /// <summary>
    /// The effects of the step in progress: the stack's one spare, taken for the step and handed
    /// back after <see cref="Execute"/> (the pipeline is serial, so one is enough; a step that
    /// re-enters the pipeline from inside an execution gets a fresh one).
    /// </summary>
    public TcpEffects Effects => _effects ??= _stack.RentEffects();
    public bool Active { get; }
    public bool Finished { get; private set; }
    public bool ReceiveDone { get; private set; }
    public TcpConnection? Connection { get; private set; }

    /// <summary>Fires once when the connection is CLOSED (ends its group in GroupByUntilClosed); one subscriber.</summary>
    public IDisposable Subscribe(IObserver<Unit> observer)
    {
        if (Finished)
        {
            observer.OnNext(Unit.Default);
            observer.OnCompleted();
        }
        else _closedObserver = observer;
        // Nothing to undo: the observer is let go when the connection closes, as the host is.
        return System.Reactive.Disposables.Disposable.Empty;
    }

    /// <summary>Applies one event: the pure step, nothing else (effects are carried out by <see cref="Execute"/>).</summary>
    public ConnectionHost Step(in StackEvent e)
    {
        long now = _stack.Scheduler.Now.UtcTicks;
        _stepWasSegment = e.IsSegment;
        _stepWasIcmp = e.IsPathMtu;
        ref readonly var inbound = ref _stack.InboundEvent;
        _stepWasPump = false;
        _skipStep = false;
        Tcb ??= CreateTcb(_stepWasSegment, inbound.Segment, now);

        if (_stepWasSegment || _stepWasIcmp)
        {
            TcpStep.Handle(Tcb, inbound, now, Effects);
            return this;
        }

        var ev = e.Kind == StackEventKind.Host ? TcpEvent.Credit(e.Count) : new TcpEvent { Kind = e.TcpKind, Count = e.Count };
        if (e.Kind == StackEventKind.Host)
        {
            switch (e.Command)
            {
                case HostCommand.Enqueue:
                    if (ReferenceEquals(_sends, NoSends)) _sends = new Queue<PendingSend>(2);
                    _sends.Enqueue((PendingSend)e.Argument!);
                    goto case HostCommand.Pump;
                case HostCommand.Pump:
                    _pumpPosted = false;
                    if (_sends.Count == 0) { _skipStep = true; break; }
                    ev = TcpEvent.SendData(_sends.Peek().Remaining);
                    _stepWasPump = true;
                    break;
                case HostCommand.AttachReader:
                    _reader = (IObserver<ReadOnlyMemory<byte>>)e.Argument!;
                    ev = TcpEvent.Credit(long.MaxValue);
                    break;
                case HostCommand.DetachReader:
                    if (ReferenceEquals(_reader, e.Argument)) _reader = null;
                    ev = TcpEvent.Credit(0);
                    break;
                case HostCommand.GrantCredit:
                    _reader = (IObserver<ReadOnlyMemory<byte>>)e.Argument!;
                    break;
                case HostCommand.Wake:
                    _wakeAt = long.MaxValue;
                    _wake = null;
                    ev = TcpEvent.Of(TcpEventKind.Timer);
                    break;
            }
        }

        if (_skipStep) Effects.Clear();
        else TcpStep.Handle(Tcb, ev, now, Effects);
        return this;
    }

    /// <summary>Carries out the last step's effects, then hands the effects object back to the stack.</summary>
    public void Execute()
    {
        try
        {
            ExecuteEffects(Effects);
        }
        finally
        {
            if (_effects is { } fx)
            {
                _effects = null;
                _stack.ReturnEffects(fx);
            }
        }
    }

    private void ExecuteEffects(TcpEffects fx)
    {
        var tcb = Tcb!;
        for (int i = 0; i < fx.Transmit.Count; i++)
        {
            if (i == fx.LimitedAckIndex && !MayTransmitLimitedAck(fx.LimitedAck, _stack.Scheduler.Now.UtcTicks)) continue;
            _stack.Transmit(Key, fx.Transmit[i]);
        }
        LeaveSynQueueOnceDone(tcb.State);
        _stack.Counters.AddStep(fx);
        if (fx.Dropped && _stepWasSegment)
            _stack.Drops.Increment(fx.PreviousState is null && tcb.State == TcpState.Closed && Connection is null && !Active ? DropReason.NoConnection : DropReason.Unacceptable);
        if (fx.Dropped && _stepWasIcmp) _stack.Drops.Increment(DropReason.IcmpStaleSequence);

        if (_stepWasPump && _sends.Count > 0) AdvanceSend(fx.Accepted, tcb);
        if (fx.PreviousState is not null)
        {
            Connection?.PublishState(tcb.State);
            if (tcb.State is not (TcpState.Closed or TcpState.Listen)) _stack.Connections.AddOrUpdate(Key, this);
        }
        if (fx.Connected) OnConnected(tcb);
        for (int i = 0; i < fx.Deliver.Count; i++) _reader?.OnNext(fx.Deliver[i]);
        if (fx.ReceiveCompleted)
        {
            ReceiveDone = true;
            var reader = _reader;
            _reader = null;
            reader?.OnCompleted();
        }
        if (fx.Closed || tcb.State == TcpState.Closed)
        {
            Finish(tcb.Error);
            return;
        }
        if (_sends.Count > 0 && tcb.SendBufferFree > 0 && !_pumpPosted && tcb.State != TcpState.Listen)
        {
            _pumpPosted = true;
            _stack.PostFromApp(this, HostCommand.Pump);
        }
        // TIME-WAIT moves no more data, yet lasts 2 MSL: give the rings back on entering it rather
        // than at CLOSED, so that back-to-back connections reuse them instead of renting new ones.
        if (fx.PreviousState is not null && tcb.State == TcpState.TimeWait && tcb.SendBuffer.Count == 0 && tcb.ReceiveQueued == 0)
            tcb.ReleaseBuffers();
        ArmWake(tcb.NextDeadline);
    }

    /// <summary>An event arrived after the connection finished: fail what the application is waiting on.</summary>
    public void Reject(in StackEvent e)
    {
        if (e.Kind != StackEventKind.Host) return;
        var error = new TcpException(Tcb?.Error ?? TcpError.None, "The connection is closed.");
        switch (e.Command)
        {
            case HostCommand.Enqueue:
                ((PendingSend)e.Argument!).Observer.OnError(error);
                break;
            case HostCommand.AttachReader:
            case HostCommand.GrantCredit:
                var reader = (IObserver<ReadOnlyMemory<byte>>)e.Argument!;
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

    /// <summary>Ends the connection from outside the step (the stack's link failed): as if it had closed with <paramref name="error"/>.</summary>
    public void Fail(TcpError error) => Finish(error);

    private void AdvanceSend(int accepted, Tcb tcb)
    {
        var head = _sends.Peek();
        head.Remaining = head.Remaining[accepted..];
        if (head.Remaining.IsEmpty)
        {
            _sends.Dequeue();
            head.Observer.OnNext(Unit.Default);
            head.Observer.OnCompleted();
        }
        else if (accepted == 0 && (tcb.FinQueued || tcb.State is not (TcpState.SynSent or TcpState.SynReceived or TcpState.Established or TcpState.CloseWait)))
        {
            _sends.Dequeue();
            head.Observer.OnError(new InvalidOperationException("The connection is closing; no more data can be sent."));
        }
    }

    private void OnConnected(Tcb tcb)
    {
        if (Connection is not null) return;
        Connection = new TcpConnection(this, _stack);
        Connection.PublishState(tcb.State);
        if (Active)
        {
            var observer = _connectObserver;
            _connectObserver = null;
            observer?.OnNext(Connection);
            observer?.OnCompleted();
        }
        else if (!_stack.Accept(Connection))
        {
            // Nobody listens any more: refuse rather than leave a connection no one will serve.
            _stack.PostFromApp(this, TcpEvent.Of(TcpEventKind.Abort));
        }
    }

    private void Finish(TcpError error)
    {
        if (Finished) return;
        Finished = true;
        _wake?.Dispose();
        _wake = null;
        _stack.Forget(this);
        _stack.Connections.Remove(Key, row => row with { CloseReason = ConnectionCloseReasons.From(error) });
        if (Active || Tcb?.PassiveOpen == true) _stack.Ports.Release(Key.LocalPort);

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
        // with the block. Nobody steps the block any more, so the host may drain it.
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
        Connection?.Terminate(error);
        if (_closedObserver is { } closed)
        {
            _closedObserver = null;
            closed.OnNext(Unit.Default);
            closed.OnCompleted();
        }
    }

    private void ArmWake(long deadline)
    {
        if (deadline == long.MaxValue || deadline >= _wakeAt) return;
        _wake?.Dispose();
        _wakeAt = deadline;
        // Relative, not absolute: Rx parks far-off absolute work on a process-wide queue that keeps
        // calling its scheduler after the stack (and the scheduler) are gone.
        var delay = TimeSpan.FromTicks(Math.Max(0, deadline - _stack.Scheduler.Now.UtcTicks));
        _wake = _stack.Scheduler.Schedule(this, delay, static (_, host) =>
        {
            host._stack.PostNow(StackEvent.ForHost(host, HostCommand.Wake));
            return System.Reactive.Disposables.Disposable.Empty;
        });
    }

    /// <summary>Cancels the pending timer (the stack is shutting down).</summary>
    public void CancelWake()
    {
        _wake?.Dispose();
        _wake = null;
        _wakeAt = long.MaxValue;
    }
}
