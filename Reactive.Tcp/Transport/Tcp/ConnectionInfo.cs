using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>A row of the connection table (what <c>netstat</c> shows), taken when the connection changed state.</summary>
/// <param name="Key">The 4-tuple.</param>
/// <param name="State">The state.</param>
/// <param name="SendQueued">Bytes queued and not yet acknowledged.</param>
/// <param name="ReceiveQueued">Bytes received and not yet read by the application.</param>
/// <param name="SmoothedRtt">Smoothed round-trip time.</param>
/// <param name="CongestionWindow">Congestion window in bytes (null when congestion control is off).</param>
/// <param name="Passive">Accepted from a listener rather than opened by Connect.</param>
/// <param name="CloseReason">Why the connection closed: set on the row a Remove carries (its last state otherwise unchanged), null while it is open.</param>
public sealed record ConnectionInfo(ConnectionKey Key, TcpState State, int SendQueued, int ReceiveQueued, TimeSpan SmoothedRtt, long? CongestionWindow, bool Passive, ConnectionCloseReason? CloseReason = null)
{
    internal static ConnectionInfo From(Tcb tcb) => new(
        tcb.Key, tcb.State, tcb.SendBuffer.Count, tcb.ReceiveQueued, TimeSpan.FromTicks(tcb.SmoothedRtt),
        tcb.Cwnd == long.MaxValue ? null : tcb.Cwnd, tcb.PassiveOpen);
}
