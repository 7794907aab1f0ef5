namespace Reactive.Tcp.Tcp;

/// <summary>
/// NewReno (RFC 5681, RFC 6582): slow start with appropriate byte counting (L = 1), additive
/// increase of one segment per window, halving on loss.
/// </summary>
public sealed class NewReno : ICongestionControl
{
    /// <inheritdoc />
    public string Name => "newreno";

    /// <inheritdoc />
    /// <remarks>NewReno keeps the initial window the connection opened with.</remarks>
    public void Start(ICongestionContext connection, long now)
    {
    }

    /// <inheritdoc />
    public void OnAck(ICongestionContext connection, long ackedBytes, long now)
    {
        int mss = connection.Mss;
        long cwnd = connection.Cwnd;
        if (cwnd < connection.Ssthresh) connection.Cwnd = cwnd + Math.Min(ackedBytes, mss);
        else connection.Cwnd = cwnd + Math.Max(1, (long)mss * mss / cwnd);
    }

    /// <inheritdoc />
    public void OnCongestionEvent(ICongestionContext connection, long now)
    {
        connection.Ssthresh = Math.Max((connection.SndMax - connection.SndUna) / 2, 2L * connection.Mss);
        connection.Cwnd = connection.Ssthresh;
    }

    /// <inheritdoc />
    public void OnRetransmissionTimeout(ICongestionContext connection, long now)
    {
        connection.Ssthresh = Math.Max(connection.BytesInFlight / 2, 2L * connection.Mss);
        connection.Cwnd = connection.Mss;
    }
}
