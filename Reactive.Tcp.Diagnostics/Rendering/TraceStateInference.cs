using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>
/// Follows RFC 9293's state diagram for both sides from the segments alone: a side changes state
/// when it sends a SYN, FIN or RST, and when a segment reaches it (at its arrival time if the
/// capture knows it, else at the capture time). Lost or reordered segments are not modelled,
/// so this is a reading aid, not a verdict.
/// </summary>
internal static class TraceStateInference
{
    public static List<TraceState> Infer(TraceConnection connection)
    {
        var states = new List<TraceState>();
        var segments = connection.Segments;
        if (segments.Count == 0) return states;

        var firstSyn = segments.FirstOrDefault(s => s.Segment.Has(TcpFlags.Syn) && !s.Segment.Has(TcpFlags.Ack));
        var local = new Side(true);
        var remote = new Side(false);
        if (firstSyn is null)
        {
            // Caught mid-stream: both sides are assumed to be in ESTABLISHED.
            local.State = remote.State = TcpState.Established;
        }
        else
        {
            (firstSyn.FromLocal ? remote : local).State = TcpState.Listen;
        }
        states.Add(new TraceState(TimeSpan.Zero, true, local.State));
        states.Add(new TraceState(TimeSpan.Zero, false, remote.State));

        // Sends happen at the capture time, receptions at the arrival time: process both in time order.
        var happenings = new List<(TimeSpan Time, int Order, TraceSegment Segment, bool Receive)>();
        for (int i = 0; i < segments.Count; i++)
        {
            happenings.Add((segments[i].Time, 2 * i, segments[i], false));
            happenings.Add((segments[i].Arrival ?? segments[i].Time, 2 * i + 1, segments[i], true));
        }
        foreach (var (time, _, segment, receive) in happenings.OrderBy(h => h.Time).ThenBy(h => h.Order))
        {
            var sender = segment.FromLocal ? local : remote;
            var receiver = segment.FromLocal ? remote : local;
            var side = receive ? receiver : sender;
            var before = side.State;
            if (receive) Receive(receiver, segment);
            else Send(sender, segment);
            if (side.State != before) states.Add(new TraceState(time, side.IsLocal, side.State));
        }
        return states;
    }

    private static void Send(Side side, TraceSegment segment)
    {
        var s = segment.Segment;
        if (s.Has(TcpFlags.Rst)) { side.State = TcpState.Closed; return; }
        if (s.Has(TcpFlags.Syn))
        {
            if (!s.Has(TcpFlags.Ack) && side.State == TcpState.Closed) side.State = TcpState.SynSent;
            else if (s.Has(TcpFlags.Ack) && side.State is TcpState.Listen or TcpState.Closed or TcpState.SynSent) side.State = TcpState.SynReceived;
        }
        if (s.Has(TcpFlags.Fin))
        {
            side.FinEnd = unchecked(s.Seq.Value + (uint)segment.SequenceLength);
            side.State = side.State switch
            {
                TcpState.Established or TcpState.SynReceived => TcpState.FinWait1,
                TcpState.CloseWait => TcpState.LastAck,
                _ => side.State,
            };
        }
    }

    private static void Receive(Side side, TraceSegment segment)
    {
        var s = segment.Segment;
        if (s.Has(TcpFlags.Rst))
        {
            if (side.State is not (TcpState.Closed or TcpState.Listen)) side.State = TcpState.Closed;
            return;
        }
        bool acksOurFin = side.FinEnd is { } finEnd && s.Has(TcpFlags.Ack) && (int)unchecked(s.Ack.Value - finEnd) >= 0;
        if (s.Has(TcpFlags.Syn) && s.Has(TcpFlags.Ack) && side.State == TcpState.SynSent) side.State = TcpState.Established;
        else if (s.Has(TcpFlags.Ack) && side.State == TcpState.SynReceived && !s.Has(TcpFlags.Syn)) side.State = TcpState.Established;

        if (acksOurFin)
        {
            side.State = side.State switch
            {
                TcpState.FinWait1 => TcpState.FinWait2,
                TcpState.Closing => TcpState.TimeWait,
                TcpState.LastAck => TcpState.Closed,
                _ => side.State,
            };
        }
        if (s.Has(TcpFlags.Fin))
        {
            side.State = side.State switch
            {
                TcpState.Established or TcpState.SynReceived => TcpState.CloseWait,
                TcpState.FinWait1 => TcpState.Closing,
                TcpState.FinWait2 => TcpState.TimeWait,
                _ => side.State,
            };
        }
    }

    private sealed class Side(bool isLocal)
    {
        public bool IsLocal { get; } = isLocal;
        public TcpState State { get; set; } = TcpState.Closed;
        public uint? FinEnd { get; set; }
    }
}
