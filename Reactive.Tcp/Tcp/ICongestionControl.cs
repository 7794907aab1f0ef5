namespace Reactive.Tcp.Tcp;

/// <summary>
/// A congestion controller: how the congestion window grows on acknowledgments and shrinks on
/// loss. It changes <see cref="Tcb.Cwnd"/> and <see cref="Tcb.Ssthresh"/> only; loss detection and
/// recovery (fast retransmit, SACK, timeouts) stay in the step. Like the step, it reads no clock:
/// time arrives as an argument (ticks).
/// </summary>
public interface ICongestionControl
{
    /// <summary>Short name, e.g. <c>cubic</c>.</summary>
    string Name { get; }

    /// <summary>The connection is established: set the initial window.</summary>
    void Start(Tcb tcb, long now);

    /// <summary>New data was acknowledged outside loss recovery.</summary>
    /// <param name="tcb">The connection.</param>
    /// <param name="ackedBytes">Bytes newly acknowledged.</param>
    /// <param name="now">Current time (ticks).</param>
    void OnAck(Tcb tcb, long ackedBytes, long now);

    /// <summary>A loss was detected by duplicate ACKs or SACK: set the reduced window (ssthresh).</summary>
    void OnCongestionEvent(Tcb tcb, long now);

    /// <summary>The retransmission timer expired: collapse to one segment.</summary>
    void OnRetransmissionTimeout(Tcb tcb, long now);
}
