namespace Reactive.Tcp.Tcp;

// Congestion control's place in the step: the window opens at the handshake, and the controller
// is made the first time the connection needs it, so an idle connection holds none.
internal static partial class TcpStep
{
    /// <summary>Whether the configuration runs congestion control (<see cref="TcpConfig.InitialCongestionWindowSegments"/> &gt; 0).</summary>
    private static bool CongestionControlled(Tcb tcb) => tcb.Config.InitialCongestionWindowSegments > 0;

    /// <summary>
    /// The connection is established: the congestion window opens at the initial window
    /// (RFC 6928), the threshold unbounded. The controller is not made yet.
    /// </summary>
    private static void OpenCongestionWindow(Tcb tcb)
    {
        if (!CongestionControlled(tcb)) return;
        tcb.Congestion.Activate((long)tcb.Config.InitialCongestionWindowSegments * tcb.EffectiveMss);
    }

    /// <summary>
    /// The connection's congestion controller, made by <see cref="TcpConfig.CongestionControl"/> and
    /// started here the first time it is needed: when the first segment after the handshake is
    /// about to go out (so a controller's own initial window governs the first flight), or an ACK,
    /// loss or ECN echo asks for it before that. Null while the window is inactive.
    /// </summary>
    private static ICongestionControl? CongestionController(Tcb tcb, long now)
    {
        ref var congestion = ref tcb.Congestion;
        if (congestion.Controller is { } controller) return controller;
        if (!congestion.Active) return null;
        controller = tcb.Config.CongestionControl();
        congestion.Controller = controller;
        controller.Start(tcb, now);
        return controller;
    }
}
