namespace Reactive.Tcp.Tcp;

/// <summary>
/// The congestion window and slow-start threshold of one connection, and the controller that
/// moves them (RFC 5681). Inactive (both <see cref="long.MaxValue"/>) until the handshake, and for
/// good in a configuration without congestion control.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference (<c>tcb.Congestion.Cwnd = w</c>),
/// so it costs no object; never copy it into a local to change it. The controller is made by the
/// step when first needed (see <c>TcpStep.CongestionController</c>), so an idle connection holds none.
/// </remarks>
internal struct CongestionWindow
{
    /// <summary>Inactive: no window, no threshold, no controller.</summary>
    public CongestionWindow() => Cwnd = Ssthresh = long.MaxValue;

    /// <summary>Congestion window (bytes); <see cref="long.MaxValue"/> while inactive.</summary>
    public long Cwnd { get; set; }
    /// <summary>Slow-start threshold (bytes); <see cref="long.MaxValue"/> until a loss lowers it.</summary>
    public long Ssthresh { get; set; }
    /// <summary>The controller, once made.</summary>
    public ICongestionControl? Controller { get; set; }

    /// <summary>Congestion control governs the connection: the window has been opened.</summary>
    public readonly bool Active => Cwnd != long.MaxValue;

    /// <summary>Opens the window at <paramref name="initialWindow"/> bytes, the threshold unbounded (RFC 5681 §3.1).</summary>
    public void Activate(long initialWindow)
    {
        Cwnd = initialWindow;
        Ssthresh = long.MaxValue;
    }
}
