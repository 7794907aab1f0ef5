using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Marbles;

/// <summary>A parsed <c>.marble</c> file: the stack under test, the scripted peer, the lanes and the final expectations.</summary>
internal sealed class MarbleScenario
{
    public required string Name { get; init; }
    public string Title { get; set; } = "";
    public IPv4Address LocalAddress { get; set; } = IPv4Address.Parse("192.0.2.2");
    public ushort LocalPort { get; set; } = 80;
    public IPv4Address RemoteAddress { get; set; } = IPv4Address.Parse("192.0.2.1");
    public ushort RemotePort { get; set; } = 40000;

    /// <summary>Length of one lane column, in ticks.</summary>
    public long Frame { get; set; } = TimeSpan.TicksPerMillisecond;

    public TcpConfig Config { get; set; } = TcpConfig.Default;

    /// <summary>The stack's limits (<c>config:</c> keys backlog, syncookies, challengeacks, maxconn).</summary>
    public StackLimits Limits { get; set; } = StackLimits.Default;

    /// <summary>The fixed initial send sequence number of the stack under test.</summary>
    public uint Isn { get; set; } = 1000;

    /// <summary>Whether the application subscribes its reader as soon as it gets the connection.</summary>
    public bool AutoReader { get; set; } = true;

    /// <summary>Explicit end of the scenario (ticks from the start), when given.</summary>
    public long? End { get; set; }

    public Dictionary<char, SegmentPattern> Segments { get; } = new();
    public Dictionary<char, AppAction> Actions { get; } = new();

    public MarbleLane In { get; set; } = MarbleLane.Empty("in");
    public MarbleLane App { get; set; } = MarbleLane.Empty("app");
    public MarbleLane Out { get; set; } = MarbleLane.Empty("out");
    public MarbleLane State { get; set; } = MarbleLane.Empty("state");

    /// <summary>Whether a <c>state:</c> lane was written.</summary>
    public bool HasState { get; set; }

    public ReceivedExpectation? Received { get; set; }
    public TcpError? Error { get; set; }
    public bool? Eof { get; set; }
    /// <summary>Expected drop counters; an empty dictionary means "no drops at all".</summary>
    public Dictionary<DropReason, long>? Drops { get; set; }
    public long? Retransmissions { get; set; }

    /// <summary>Time at which the scenario ends (exclusive): the end of the longest lane, or the explicit end.</summary>
    public long EndTime => Math.Max(End ?? 0, Math.Max(Math.Max(In.End, App.End), Math.Max(Out.End, State.End)));
}

/// <summary>One lane: symbols placed at times (ticks from the start of the scenario).</summary>
internal sealed class MarbleLane
{
    public MarbleLane(string name, IReadOnlyList<LaneEvent> events, long end)
    {
        Name = name;
        Events = events;
        End = end;
    }

    public string Name { get; }
    public IReadOnlyList<LaneEvent> Events { get; }
    public long End { get; }

    public static MarbleLane Empty(string name) => new(name, [], 0);
}

/// <summary>The symbols of one lane column (one symbol, or a group written <c>(ab)</c>).</summary>
internal sealed record LaneEvent(long Time, IReadOnlyList<char> Symbols, int Line);

/// <summary>What the application does for a symbol of the <c>app:</c> lane.</summary>
internal sealed record AppAction(AppActionKind Kind, byte[]? Data = null, string Text = "");

internal enum AppActionKind
{
    Listen,
    StopListening,
    Connect,
    Close,
    Abort,
    Read,
    Pause,
    Send,
}

/// <summary>What the application should have received, checked at the end.</summary>
internal sealed record ReceivedExpectation(byte[]? Exact, int Length);

/// <summary>
/// A segment in tcpdump-like notation. For <c>in:</c> it is built exactly (unwritten fields take
/// defaults); for <c>out:</c> unwritten fields are wildcards, except the payload, which is empty
/// unless <c>len</c> or a string is written.
/// </summary>
internal sealed class SegmentPattern
{
    public required char Name { get; init; }
    public required string Text { get; init; }
    public TcpFlags Flags { get; init; }
    public uint? Seq { get; init; }
    public uint? Ack { get; init; }
    public ushort? Window { get; init; }
    /// <summary>Options written between <c>&lt; &gt;</c>; null when none were written (wildcard).</summary>
    public TcpOptions? Options { get; init; }
    /// <summary>Payload length; null for <c>len *</c> (any).</summary>
    public int? Length { get; init; } = 0;
    /// <summary>Exact payload bytes when a string was written.</summary>
    public byte[]? Payload { get; init; }
    /// <summary>The IP header's ECN codepoint: sent as written (Not-ECT when unwritten), matched when written.</summary>
    public IpEcn? Ecn { get; init; }
    public int Line { get; init; }
    /// <summary>
    /// Set for <c>def X = icmp code N [mtu M] quoting &lt;segment&gt;</c>: the <c>in:</c> lane then
    /// delivers an ICMP Destination Unreachable with this code, quoting the segment as if the stack
    /// had sent it (local to remote).
    /// </summary>
    public byte? IcmpCode { get; init; }
    /// <summary>Next-hop MTU of an <c>icmp code 4</c> definition.</summary>
    public ushort IcmpMtu { get; init; }

    /// <summary>The segment the scripted peer sends for this definition.</summary>
    public TcpSegment Build(ushort sourcePort, ushort destinationPort)
    {
        if (Seq is null) throw new MarbleFormatException($"line {Line}: segment '{Name}' is sent by the peer, so it needs a 'seq'.");
        if (Length is null) throw new MarbleFormatException($"line {Line}: segment '{Name}' is sent by the peer, so 'len *' makes no sense.");
        if ((Flags & TcpFlags.Ack) != 0 && Ack is null) throw new MarbleFormatException($"line {Line}: segment '{Name}' has the ACK flag, so it needs an 'ack'.");
        var payload = Payload ?? SegmentNotation.PatternBytes(Seq.Value, Length.Value);
        return new TcpSegment
        {
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            Seq = new SeqNum(Seq.Value),
            Ack = new SeqNum(Ack ?? 0),
            Flags = Flags,
            Window = Window ?? 65535,
            Options = Options ?? default,
            Payload = payload,
            Ecn = Ecn ?? IpEcn.NotEct,
        };
    }

    /// <summary>Whether an actual segment the stack sent satisfies this pattern.</summary>
    public bool Matches(in TcpSegment s)
    {
        if (s.Flags != Flags) return false;
        if (Seq is { } seq && s.Seq.Value != seq) return false;
        if (Ack is { } ack && s.Ack.Value != ack) return false;
        if (Window is { } win && s.Window != win) return false;
        if (Options is { } options && !SegmentNotation.SameOptions(options, s.Options)) return false;
        if (Length is { } length && s.Payload.Length != length) return false;
        if (Payload is { } payload && !s.Payload.Span.SequenceEqual(payload)) return false;
        if (Ecn is { } ecn && s.Ecn != ecn) return false;
        return true;
    }
}

/// <summary>A scenario file is malformed.</summary>
internal sealed class MarbleFormatException(string message) : Exception(message);
