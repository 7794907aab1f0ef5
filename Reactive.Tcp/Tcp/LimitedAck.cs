namespace Reactive.Tcp.Tcp;

/// <summary>
/// Which rate limit an ACK answering an unacceptable segment falls under. The step only marks it
/// (<see cref="TcpEffects.LimitedAck"/>); the host decides whether the budget allows sending it.
/// </summary>
public enum LimitedAck : byte
{
    /// <summary>No limited ACK in this step.</summary>
    None,
    /// <summary>
    /// A challenge ACK (RFC 5961): for an in-window RST, a SYN (any sequence number) on a
    /// synchronised connection, or an ACK outside [SND.UNA − MAX.SND.WND, SND.MAX]. Limited stack-wide.
    /// </summary>
    Challenge,
    /// <summary>
    /// A duplicate ACK for an out-of-window (or PAWS-failed) segment with no data, SYN or FIN:
    /// limited per connection, which breaks ACK loops. Data segments are always answered.
    /// </summary>
    OutOfWindow,
}
