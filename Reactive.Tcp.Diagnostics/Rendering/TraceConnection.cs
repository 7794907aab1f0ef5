using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>
/// The segments of one TCP connection, in time order, between a local side (the one a marble
/// file calls the stack under test: in a capture, the side that answered the first SYN) and a
/// remote side; plus the states each side went through, given or inferred from the segments.
/// </summary>
public sealed class TraceConnection
{
    /// <summary>Builds a connection from its segments (sorted by time here).</summary>
    /// <param name="local">The local side.</param>
    /// <param name="remote">The remote side.</param>
    /// <param name="segments">Its segments, times counted from the connection's start.</param>
    /// <param name="states">The states the sides went through, if known (e.g. as the stack reported them); null to infer them from the segments.</param>
    /// <param name="start">When the connection's time 0 was, if known.</param>
    public TraceConnection(TraceEndpoint local, TraceEndpoint remote, IEnumerable<TraceSegment> segments, IEnumerable<TraceState>? states = null, DateTimeOffset? start = null)
    {
        ArgumentNullException.ThrowIfNull(segments);
        Local = local;
        Remote = remote;
        Start = start;
        Segments = segments.OrderBy(s => s.Time).ToList();
        LocalIsn = InitialSequence(fromLocal: true);
        RemoteIsn = InitialSequence(fromLocal: false);
        StatesInferred = states is null;
        States = states?.OrderBy(s => s.Time).ToList() ?? TraceStateInference.Infer(this);
    }

    /// <summary>The side marble files call local (the stack under test).</summary>
    public TraceEndpoint Local { get; }

    /// <summary>The other side (the scripted peer of a marble file).</summary>
    public TraceEndpoint Remote { get; }

    /// <summary>Wall-clock (or virtual) time of the connection's time 0, if known.</summary>
    public DateTimeOffset? Start { get; }

    /// <summary>The segments in time order.</summary>
    public IReadOnlyList<TraceSegment> Segments { get; }

    /// <summary>States each side entered, in time order.</summary>
    public IReadOnlyList<TraceState> States { get; }

    /// <summary>True when <see cref="States"/> were inferred from the segments rather than reported by a stack.</summary>
    public bool StatesInferred { get; }

    /// <summary>The local side's initial sequence number: its SYN's, else the first sequence number it sent.</summary>
    public uint LocalIsn { get; }

    /// <summary>The remote side's initial sequence number: its SYN's, else the first sequence number it sent.</summary>
    public uint RemoteIsn { get; }

    /// <summary>Time of the last segment (or its arrival).</summary>
    public TimeSpan Duration => Segments.Count == 0 ? TimeSpan.Zero : Segments.Max(s => s.Arrival ?? s.Time);

    /// <summary>
    /// The segment with sequence and acknowledgment numbers (and SACK blocks) relative to each
    /// side's initial sequence number, as tcpdump shows them: the SYN is seq 0, the first data byte seq 1.
    /// </summary>
    public TcpSegment Relative(TraceSegment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        uint ownIsn = segment.FromLocal ? LocalIsn : RemoteIsn;
        uint peerIsn = segment.FromLocal ? RemoteIsn : LocalIsn;
        var s = segment.Segment;
        s.Seq = new SeqNum(unchecked(s.Seq.Value - ownIsn));
        if (s.Has(TcpFlags.Ack) || s.Ack.Value != 0) s.Ack = new SeqNum(unchecked(s.Ack.Value - peerIsn));
        for (int i = 0; i < s.Options.SackCount; i++)
            s.Options.Sack[i] = new SackBlock(new SeqNum(unchecked(s.Options.Sack[i].Left.Value - peerIsn)), new SeqNum(unchecked(s.Options.Sack[i].Right.Value - peerIsn)));
        return s;
    }

    /// <summary><c>192.0.2.2:40000 &gt; 192.0.2.1:80</c>, initiator first when known.</summary>
    public override string ToString()
    {
        var first = Segments.FirstOrDefault(s => s.Segment.Flags.HasFlag(TcpFlags.Syn) && !s.Segment.Flags.HasFlag(TcpFlags.Ack)) ?? Segments.FirstOrDefault();
        return first is null || !first.FromLocal ? $"{Remote} > {Local}" : $"{Local} > {Remote}";
    }

    private uint InitialSequence(bool fromLocal)
    {
        foreach (var s in Segments)
            if (s.FromLocal == fromLocal && s.Segment.Has(TcpFlags.Syn)) return s.Segment.Seq.Value;
        foreach (var s in Segments)
            if (s.FromLocal == fromLocal) return s.Segment.Seq.Value;
        // The side sent nothing: take what the other side acknowledged first, so its numbers start at 0.
        foreach (var s in Segments)
            if (s.FromLocal != fromLocal && s.Segment.Has(TcpFlags.Ack)) return s.Segment.Ack.Value;
        return 0;
    }
}
