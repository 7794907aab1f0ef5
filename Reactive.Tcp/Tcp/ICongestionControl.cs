namespace Reactive.Tcp.Tcp;

/// <summary>
/// A congestion controller: how the congestion window grows on acknowledgments and shrinks on
/// loss. It changes <see cref="ICongestionContext.Cwnd"/> and <see cref="ICongestionContext.Ssthresh"/>
/// only; loss detection and recovery (fast retransmit, SACK, timeouts) stay in the step. Like the
/// step, it reads no clock: time arrives as an argument (ticks). <see cref="NewReno"/> and
/// <see cref="Cubic"/> implement it; so may a type of your own, given to
/// <see cref="TcpConfig.CongestionControl"/>.
/// </summary>
/// <remarks>
/// One instance serves one connection, from one thread at a time (its stack's). It is made when the
/// connection first needs it: before its first data (or FIN) goes out after the handshake, so an
/// idle connection holds none.
/// </remarks>
public interface ICongestionControl
{
    /// <summary>Short name, e.g. <c>cubic</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The controller takes over the connection, once. The window is the initial one
    /// (<see cref="TcpConfig.InitialCongestionWindowSegments"/> × MSS, RFC 6928) and the threshold
    /// unbounded; a controller may set its own.
    /// </summary>
    /// <param name="connection">The connection's congestion state.</param>
    /// <param name="now">Current time (ticks).</param>
    void Start(ICongestionContext connection, long now);

    /// <summary>New data was acknowledged outside loss recovery.</summary>
    /// <param name="connection">The connection's congestion state.</param>
    /// <param name="ackedBytes">Bytes newly acknowledged.</param>
    /// <param name="now">Current time (ticks).</param>
    void OnAck(ICongestionContext connection, long ackedBytes, long now);

    /// <summary>A loss was detected by duplicate ACKs or SACK, or an ECN echo arrived: set the reduced window (ssthresh).</summary>
    /// <param name="connection">The connection's congestion state.</param>
    /// <param name="now">Current time (ticks).</param>
    void OnCongestionEvent(ICongestionContext connection, long now);

    /// <summary>The retransmission timer expired: collapse the window (RFC 5681: to one segment).</summary>
    /// <param name="connection">The connection's congestion state.</param>
    /// <param name="now">Current time (ticks).</param>
    void OnRetransmissionTimeout(ICongestionContext connection, long now);
}
