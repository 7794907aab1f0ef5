using System.Reactive;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// One connection's state: the <c>Scan</c> accumulator of its group in the TCP transport. It holds
/// the transmission control block (<see cref="Tcb"/>, which only the pure <see cref="TcpStep"/>
/// changes) and what binds the connection to the application and the scheduler: data waiting for
/// send-buffer room, the reader, the timer, the application-facing object.
/// </summary>
/// <remarks>
/// <para><see cref="Step"/> is the accumulator function and the one place a connection steps and
/// carries out the effects of its step, the way smoltcp's socket processes a segment and then
/// dispatches what it wants sent. The block is updated in place (copying it per segment would
/// allocate), so the accumulator is the same object from step to step.</para>
/// <para>Effects are written into the transport's one <see cref="TcpEffects"/>: the stack's inputs
/// are serialised without nesting (<see cref="Rx.Serializer"/>), so one step's effects are carried
/// out before any other step begins.</para>
/// </remarks>
internal sealed partial class ConnectionState
{
    private static readonly Queue<PendingSend> NoSends = new(0);
    private readonly TcpTransport _transport;
    private Queue<PendingSend> _sends = NoSends; // made on the first send; an idle connection keeps none
    private IObserver<IConnectionFacade>? _connectObserver;
    private IObserver<ReadOnlyMemory<byte>>? _reader;
    private bool _pumpPosted;

    /// <summary>A connection the first input for <paramref name="key"/> opens: passive (a listener's SYN), or for a SYN cookie.</summary>
    public ConnectionState(TcpTransport transport, ConnectionKey key)
    {
        _transport = transport;
        Key = key;
    }

    /// <summary>An active open: <paramref name="connectObserver"/> hears of the established connection, or why it failed.</summary>
    public ConnectionState(TcpTransport transport, ConnectionKey key, IObserver<IConnectionFacade> connectObserver)
        : this(transport, key)
    {
        _connectObserver = connectObserver;
        Active = true;
    }

    /// <summary>The 4-tuple, seen from this stack.</summary>
    public ConnectionKey Key { get; }

    /// <summary>The transmission control block, made by the first step.</summary>
    public Tcb? Tcb { get; private set; }

    /// <summary>Opened by <c>Connect</c> rather than by a listener.</summary>
    public bool Active { get; }

    /// <summary>The peer's FIN has been delivered to the application.</summary>
    public bool ReceiveDone { get; private set; }

    /// <summary>What the application holds for this connection, once established.</summary>
    public IConnectionFacade? Facade { get; private set; }

    /// <summary>The <c>Scan</c> accumulator function: applies <paramref name="input"/> to <paramref name="state"/> and returns it.</summary>
    public static ConnectionState Step(ConnectionState state, TcpInput input)
    {
        state.Apply(input);
        return state;
    }

    private void Apply(in TcpInput input)
    {
        var transport = _transport;
        var fx = transport.Effects;
        try
        {
            long now = transport.Now;
            Tcb ??= CreateTcb(input, now);
            bool pump = false;
            switch (input.Command)
            {
                case ConnectionCommand.None:
                    TcpStep.Handle(Tcb, input.Event, now, fx);
                    break;
                case ConnectionCommand.Enqueue:
                    if (ReferenceEquals(_sends, NoSends)) _sends = new Queue<PendingSend>(2);
                    _sends.Enqueue((PendingSend)input.Argument!);
                    goto case ConnectionCommand.Pump;
                case ConnectionCommand.Pump:
                    _pumpPosted = false;
                    if (_sends.Count == 0) return;
                    pump = true;
                    TcpStep.Handle(Tcb, TcpEvent.SendData(_sends.Peek().Remaining), now, fx);
                    break;
                default:
                    TcpStep.Handle(Tcb, EventFor(input), now, fx);
                    break;
            }
            Execute(fx, input, pump, now);
        }
        catch (Exception)
        {
            transport.Faults.Record();
            fx.Clear();
        }
    }

    /// <summary>The TCP event a command becomes, taking in what it hands over (a reader, the timer's turn).</summary>
    private TcpEvent EventFor(in TcpInput input)
    {
        switch (input.Command)
        {
            case ConnectionCommand.Connect:
                return TcpEvent.Of(TcpEventKind.Connect);
            case ConnectionCommand.Close:
                return TcpEvent.Of(TcpEventKind.Close);
            case ConnectionCommand.Abort:
                return TcpEvent.Of(TcpEventKind.Abort);
            case ConnectionCommand.AttachReader:
                _reader = (IObserver<ReadOnlyMemory<byte>>)input.Argument!;
                return TcpEvent.Credit(long.MaxValue);
            case ConnectionCommand.DetachReader:
                if (ReferenceEquals(_reader, input.Argument)) _reader = null;
                return TcpEvent.Credit(0);
            case ConnectionCommand.GrantCredit:
                _reader = (IObserver<ReadOnlyMemory<byte>>)input.Argument!;
                return TcpEvent.Credit(input.Event.Count);
            case ConnectionCommand.Wake:
                WakeAt = long.MaxValue;
                return TcpEvent.Of(TcpEventKind.Timer);
            default:
                throw new ArgumentOutOfRangeException(nameof(input), input.Command, "Not a command for the step.");
        }
    }

    /// <summary>Carries out the effects of the step just taken for <paramref name="input"/>.</summary>
    private void Execute(TcpEffects fx, in TcpInput input, bool pump, long now)
    {
        var transport = _transport;
        var tcb = Tcb!;
        for (int i = 0; i < fx.Transmit.Count; i++)
        {
            if (i == fx.LimitedAckIndex && !MayTransmitLimitedAck(fx.LimitedAck, now)) continue;
            transport.Transmit(Key, fx.Transmit[i]);
        }
        LeaveSynQueueOnceDone(tcb.State);
        transport.Counters.AddStep(fx);
        if (fx.Dropped && input.IsSegment)
            transport.Drops.Increment(fx.PreviousState is null && tcb.State == TcpState.Closed && Facade is null && !Active ? DropReason.NoConnection : DropReason.Unacceptable);
        if (fx.Dropped && input.IsIcmpError) transport.Drops.Increment(DropReason.IcmpStaleSequence);

        if (pump && _sends.Count > 0) AdvanceSend(fx.Accepted, tcb);
        if (fx.PreviousState is not null)
        {
            Facade?.OnState(tcb.State);
            if (tcb.State is not (TcpState.Closed or TcpState.Listen)) transport.Connections.AddOrUpdate(Key, this);
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
            Post(ConnectionCommand.Pump);
        }
        if (fx.PreviousState is not null && tcb.State == TcpState.TimeWait && EnterTimeWait(tcb)) return;
        ArmWake(tcb.NextDeadline);
    }

    /// <summary>
    /// The connection entered TIME-WAIT: it moves no more data, yet lasts 2 MSL. Its rings go back
    /// to the pool, and unless the application still holds something of it (unread bytes, a queued
    /// send, a reader owed the end of the stream), it leaves the connection table for a small
    /// TIME-WAIT record, or, with no room left for one, skips TIME-WAIT. Returns true when this
    /// state is done.
    /// </summary>
    private bool EnterTimeWait(Tcb tcb)
    {
        if (tcb.SendBuffer.Count > 0 || tcb.ReceiveQueued > 0) return false;
        tcb.ReleaseBuffers();
        if (_sends.Count > 0 || _reader is not null || !ReceiveDone) return false;
        var transport = _transport;
        if (!transport.TimeWait.HasRoom)
        {
            transport.Counters.TimeWaitSkip();
            Finish(TcpError.None);
            return true;
        }
        var record = new TimeWaitRecord(Key, tcb, Facade, holdsPort: Active || tcb.PassiveOpen);
        transport.TimeWait.Add(record);
        transport.Connections.AddOrUpdate(Key, record);
        Retire();
        return true;
    }

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
        else if (accepted == 0 && !TcpStep.TakesData(tcb))
        {
            _sends.Dequeue();
            head.Observer.OnError(new InvalidOperationException("The connection is closing; no more data can be sent."));
        }
    }

    private void OnConnected(Tcb tcb)
    {
        if (Facade is not null) return;
        Facade = _transport.CreateFacade(this);
        Facade.OnState(tcb.State);
        if (Active)
        {
            var observer = _connectObserver;
            _connectObserver = null;
            observer?.OnNext(Facade);
            observer?.OnCompleted();
        }
        else if (!_transport.Accept(Key.LocalPort, Facade))
        {
            // Nobody listens any more: refuse rather than leave a connection no one will serve.
            Post(ConnectionCommand.Abort);
        }
    }

    /// <summary>Posts a command to this connection on the stack's scheduler (never re-entering the pipeline).</summary>
    private void Post(ConnectionCommand command, object? argument = null, long count = 0) =>
        _transport.Post(TcpInput.For(this, command, argument, count));

    /// <inheritdoc />
    public override string ToString() => $"{Key} {Tcb?.State.ToString() ?? "new"}";
}
