using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

// The block as its congestion controller sees it: the window it sets and the sender's state it
// reads, implemented explicitly so that nothing but a controller holding the interface can set them.
public sealed partial class Tcb : ICongestionContext
{
    long ICongestionContext.Cwnd
    {
        get => _congestion.Cwnd;
        set => _congestion.Cwnd = Math.Clamp(value, EffectiveMss, long.MaxValue / 2);
    }

    long ICongestionContext.Ssthresh
    {
        get => _congestion.Ssthresh;
        set => _congestion.Ssthresh = Math.Max(value, 2L * EffectiveMss);
    }

    int ICongestionContext.Mss => EffectiveMss;

    int ICongestionContext.BytesInFlight => _send.BytesInFlight;

    SeqNum ICongestionContext.SndUna => _send.Una;

    SeqNum ICongestionContext.SndNxt => _send.Nxt;

    SeqNum ICongestionContext.SndMax => _send.Max;

    long ICongestionContext.SmoothedRtt => _rtt.Srtt;

    long ICongestionContext.RttVariation => _rtt.RttVar;
}
