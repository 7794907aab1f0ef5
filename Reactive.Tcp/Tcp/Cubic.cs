namespace Reactive.Tcp.Tcp;

/// <summary>
/// CUBIC (RFC 9438): after a loss the window follows W(t) = C·(t − K)³ + W_max, concave up to the
/// old maximum and convex beyond it, never below what Reno would reach in the same time
/// (the Reno-friendly region). Constants as the RFC: C = 0.4, β = 0.7, with fast convergence.
/// </summary>
public sealed class Cubic : ICongestionControl
{
    private const double C = 0.4;
    private const double Beta = 0.7;
    private double _wMax;          // segments, before the last reduction
    private double _wLastMax;      // for fast convergence
    private double _k;             // seconds until W returns to W_max
    private double _wEst;          // Reno-friendly estimate, segments
    private long _epochStart = -1; // ticks; -1 = no congestion avoidance epoch yet
    private double _cwndSegments;  // fractional window while growing

    /// <inheritdoc />
    public string Name => "cubic";

    /// <inheritdoc />
    /// <remarks>CUBIC keeps the initial window; its curve starts at the first congestion-avoidance ACK.</remarks>
    public void Start(ICongestionContext connection, long now) => _epochStart = -1;

    /// <inheritdoc />
    public void OnAck(ICongestionContext connection, long ackedBytes, long now)
    {
        int mss = connection.Mss;
        if (connection.Cwnd < connection.Ssthresh)
        {
            connection.Cwnd += Math.Min(ackedBytes, mss); // Slow start as in Reno (RFC 9438 §4.10).
            return;
        }
        double cwnd = (double)connection.Cwnd / mss;
        if (_epochStart < 0)
        {
            // First congestion-avoidance ACK with no loss behind it: start the curve here.
            _epochStart = now;
            _cwndSegments = cwnd;
            if (_wMax < cwnd) { _wMax = cwnd; _k = 0; }
            _wEst = cwnd;
        }
        double rtt = Math.Max(connection.SmoothedRtt, TimeSpan.TicksPerMillisecond) / (double)TimeSpan.TicksPerSecond;
        double t = (now - _epochStart) / (double)TimeSpan.TicksPerSecond;
        double target = C * Math.Pow(t + rtt - _k, 3) + _wMax;
        target = Math.Clamp(target, cwnd, 1.5 * cwnd);

        // Reno-friendly estimate (RFC 9438 §4.3): grows by α per window of ACKed segments.
        double alpha = 3 * (1 - Beta) / (1 + Beta);
        _wEst += alpha * ((double)ackedBytes / mss) / cwnd;

        if (_wEst > target) _cwndSegments = Math.Max(_cwndSegments, _wEst);
        else _cwndSegments += (target - cwnd) / cwnd * ((double)ackedBytes / mss);
        connection.Cwnd = Math.Max((long)(_cwndSegments * mss), connection.Cwnd);
    }

    /// <inheritdoc />
    public void OnCongestionEvent(ICongestionContext connection, long now)
    {
        int mss = connection.Mss;
        double cwnd = (double)connection.Cwnd / mss;
        // Fast convergence (RFC 9438 §4.7): release bandwidth sooner when the maximum keeps falling.
        _wMax = cwnd < _wLastMax ? cwnd * (1 + Beta) / 2 : cwnd;
        _wLastMax = cwnd;
        double reduced = Math.Max(cwnd * Beta, 2);
        _k = Math.Cbrt(Math.Max(0, _wMax - reduced) / C);
        _epochStart = now;
        _cwndSegments = reduced;
        _wEst = reduced;
        connection.Ssthresh = (long)(reduced * mss);
        connection.Cwnd = connection.Ssthresh;
    }

    /// <inheritdoc />
    public void OnRetransmissionTimeout(ICongestionContext connection, long now)
    {
        int mss = connection.Mss;
        double cwnd = (double)connection.Cwnd / mss;
        _wMax = cwnd;
        _wLastMax = cwnd;
        connection.Ssthresh = Math.Max((long)(Math.Max(connection.BytesInFlight, connection.Cwnd) * Beta), 2L * mss);
        connection.Cwnd = mss;
        _epochStart = -1; // The curve restarts when congestion avoidance resumes.
    }
}
