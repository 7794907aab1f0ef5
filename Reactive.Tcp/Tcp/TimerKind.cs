namespace Reactive.Tcp.Tcp;

/// <summary>The per-connection timers, each a deadline held in the <see cref="Tcb"/>.</summary>
public enum TimerKind
{
    /// <summary>Retransmission (RTO); minimart's transmit-check.</summary>
    TransmitCheck,
    /// <summary>Zero-window probe.</summary>
    Persist,
    /// <summary>2MSL wait in TIME-WAIT.</summary>
    TimeWait,
}
