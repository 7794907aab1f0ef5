using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// One input of the TCP transport, grouped by <see cref="Key"/> into its connection: a segment
/// (which travels inside <see cref="Event"/>), an ICMP error about a segment of ours, or a
/// command from the application or the connection's timer.
/// </summary>
internal readonly struct TcpInput
{
    private TcpInput(ConnectionKey key, in TcpEvent ev, ConnectionCommand command, ConnectionState? target, object? argument, UnreachableCode icmpCode = default)
    {
        Key = key;
        Event = ev;
        Command = command;
        Target = target;
        Argument = argument;
        IcmpCode = icmpCode;
    }

    /// <summary>The connection's 4-tuple, seen from this stack.</summary>
    public readonly ConnectionKey Key;

    /// <summary>For network input, what the step sees: the segment, or the path-MTU report. For <see cref="ConnectionCommand.GrantCredit"/>, the count.</summary>
    public readonly TcpEvent Event;

    /// <summary>The command; <see cref="ConnectionCommand.None"/> for network input.</summary>
    public readonly ConnectionCommand Command;

    /// <summary>For a command, the connection it was meant for (a command that finds a newer connection, or none, under its key is refused); for an admitted SYN cookie, the connection it creates.</summary>
    public readonly ConnectionState? Target;

    /// <summary>The command's argument (a pending send, a reader).</summary>
    public readonly object? Argument;

    /// <summary>For an ICMP error, its Destination Unreachable code.</summary>
    public readonly UnreachableCode IcmpCode;

    /// <summary>Whether this is a segment from the peer.</summary>
    public bool IsSegment => Command == ConnectionCommand.None && Event.Kind == TcpEventKind.Segment;

    /// <summary>Whether this is an ICMP error about a segment of ours.</summary>
    public bool IsIcmpError => Command == ConnectionCommand.None && Event.Kind == TcpEventKind.PathMtu;

    /// <summary>A segment, from a packet the network layer delivered.</summary>
    public static TcpInput FromPacket(in InboundPacket packet)
    {
        if (packet.Kind == PacketKind.Tcp) return new(packet.TcpConnectionKey, TcpEvent.FromSegment(packet.Tcp), ConnectionCommand.None, null, null);
        ref readonly var error = ref packet.IcmpError;
        var key = new ConnectionKey(error.QuotedSource, error.QuotedSourcePort, error.QuotedDestination, error.QuotedDestinationPort);
        return new(key, TcpEvent.PathMtu(error.NextHopMtu, error.QuotedSeq), ConnectionCommand.None, null, null, error.Code);
    }

    /// <summary>A command for <paramref name="target"/>.</summary>
    public static TcpInput For(ConnectionState target, ConnectionCommand command, object? argument = null, long count = 0) =>
        new(target.Key, new TcpEvent { Kind = TcpEventKind.ReadCredit, Count = count }, command, target, argument);

    /// <summary>This segment, admitted as the first of the connection <paramref name="target"/> (a validated SYN cookie).</summary>
    public TcpInput Creating(ConnectionState target) => new(Key, Event, Command, target, Argument, IcmpCode);

    /// <inheritdoc />
    public override string ToString() => Command == ConnectionCommand.None ? $"{Key}: {Event}" : $"{Key}: {Command}";
}
