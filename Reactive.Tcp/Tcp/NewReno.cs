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
    public void Start(Tcb tcb, long now)
    {
        tcb.Cwnd = (long)tcb.Config.InitialCongestionWindowSegments * tcb.EffectiveMss;
        tcb.Ssthresh = long.MaxValue;
    }

    /// <inheritdoc />
    public void OnAck(Tcb tcb, long ackedBytes, long now)
    {
        int mss = tcb.EffectiveMss;
        if (tcb.Cwnd < tcb.Ssthresh) tcb.Cwnd += Math.Min(ackedBytes, mss);
        else tcb.Cwnd += Math.Max(1, (long)mss * mss / tcb.Cwnd);
    }

    /// <inheritdoc />
    public void OnCongestionEvent(Tcb tcb, long now)
    {
        tcb.Ssthresh = Math.Max((tcb.SndMax - tcb.SndUna) / 2, 2L * tcb.EffectiveMss);
        tcb.Cwnd = tcb.Ssthresh;
    }

    /// <inheritdoc />
    public void OnRetransmissionTimeout(Tcb tcb, long now)
    {
        tcb.Ssthresh = Math.Max(tcb.BytesInFlight / 2, 2L * tcb.EffectiveMss);
        tcb.Cwnd = tcb.EffectiveMss;
    }
}
