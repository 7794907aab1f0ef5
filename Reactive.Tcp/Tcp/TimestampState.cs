using System.Runtime.InteropServices;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// The timestamps option (RFC 7323) for one connection: whether both sides use it, the peer's
/// timestamp to echo (TS.Recent) and our clock.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference (<c>tcb.Timestamps.Recent = tsVal</c>),
/// so it costs no object; never copy it into a local to change it.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct TimestampState
{
    /// <summary>Both sides sent the timestamps option: every segment carries one.</summary>
    public bool Enabled { get; set; }
    /// <summary>The peer's timestamp to echo (TS.Recent).</summary>
    public uint Recent { get; set; }
    /// <summary>The ACK number of our last ACK (Last.ACK.sent), to decide which TSval to echo.</summary>
    public SeqNum LastAckSent { get; set; }
    /// <summary>Our timestamp clock at the last step (milliseconds of <c>now</c>).</summary>
    public uint Now { get; set; }
}
