namespace Reactive.Tcp.Transport;

/// <summary>One listening port: who gets its connections and how full its SYN queue is.</summary>
internal sealed class ListenerState(IObserver<IConnectionFacade> observer, int backlog)
{
    /// <summary>Gets each connection that completes its handshake.</summary>
    public IObserver<IConnectionFacade> Observer { get; } = observer;

    /// <summary>Half-open connections this listener holds at most.</summary>
    public int Backlog { get; } = backlog;

    /// <summary>Half-open (SYN-RECEIVED) connections it holds now.</summary>
    public int HalfOpen { get; set; }

    /// <summary>When the last SYN cookie went out, in ticks; ACKs are checked as cookies only for a while after.</summary>
    public long LastCookieAt { get; set; } = long.MinValue;

    public bool SynQueueFull => HalfOpen >= Backlog;
}
