using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>One TCP segment of a traced connection, with its absolute sequence numbers.</summary>
/// <param name="Time">When it was captured (or sent), from the start of its connection.</param>
/// <param name="Arrival">When it arrived, if the capture saw it twice (sent and delivered, as a <see cref="Diagnostics.PcapLink"/> on each of two stacks records it); null for a capture taken at one point.</param>
/// <param name="FromLocal">Sent by the connection's local side (see <see cref="TraceConnection.Local"/>).</param>
/// <param name="Segment">The segment; its payload is a copy (possibly shorter than <paramref name="Length"/> if the capture cut it).</param>
/// <param name="Length">Payload length on the wire.</param>
public sealed record TraceSegment(TimeSpan Time, TimeSpan? Arrival, bool FromLocal, TcpSegment Segment, int Length)
{
    /// <summary>Sequence space the segment occupies: payload plus one each for SYN and FIN.</summary>
    public int SequenceLength => Length + (Segment.Has(TcpFlags.Syn) ? 1 : 0) + (Segment.Has(TcpFlags.Fin) ? 1 : 0);
}
