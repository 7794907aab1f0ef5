namespace Reactive.Tcp.Tcp;

/// <summary>The per-connection timers, each a deadline held in the connection's timers.</summary>
public enum TimerKind
{
    /// <summary>Retransmission (RTO); minimart's transmit-check.</summary>
    TransmitCheck,
    /// <summary>Zero-window probe.</summary>
    Persist,
    /// <summary>2MSL wait in TIME-WAIT.</summary>
    TimeWait,
    /// <summary>A delayed ACK goes out (RFC 9293 §3.8.6.3).</summary>
    DelayedAck,
    /// <summary>The next keep-alive probe (RFC 9293 §3.8.4).</summary>
    KeepAlive,
    /// <summary>A tail loss probe (RFC 8985 §7): outstanding data has had no ACK for two round trips.</summary>
    TailLossProbe,
    /// <summary>SACK recovery looks again at holes whose resends may have been lost.</summary>
    RecoveryCheck,
}
