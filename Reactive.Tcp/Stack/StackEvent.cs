using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Stack;

/// <summary>What kind of input entered the stack's serial event stream.</summary>
internal enum StackEventKind : byte
{
    /// <summary>A raw packet from the link, not yet parsed.</summary>
    Frame,
    /// <summary>A TCP event for one connection (segment, app command, timer).</summary>
    Tcp,
    /// <summary>A command for the connection's host (reader attach/detach, send pump).</summary>
    Host,
    /// <summary>Consumed before grouping (ICMP, drops).</summary>
    Handled,
}

/// <summary>Host-level commands that become TCP events only at step time.</summary>
internal enum HostCommand : byte
{
    None,
    /// <summary>Feed the next pending send into the send buffer.</summary>
    Pump,
    /// <summary>An application reader subscribed.</summary>
    AttachReader,
    /// <summary>The reader unsubscribed.</summary>
    DetachReader,
    /// <summary>A stream reader asks for up to N bytes.</summary>
    GrantCredit,
    /// <summary>Queue a send request.</summary>
    Enqueue,
    /// <summary>A timer deadline may be due.</summary>
    Wake,
}

/// <summary>
/// One input to the stack's serial pipeline, kept small (64 bytes) because every operator in the
/// chain copies it. A segment's parsed header does not travel in it: <see cref="TcpStack"/> parses
/// into one slot (<see cref="TcpStack.InboundEvent"/>) that the connection's step reads, which is
/// safe because the chain runs serially and synchronously from parsing to the step.
/// </summary>
internal readonly struct StackEvent
{
    public readonly StackEventKind Kind;
    public readonly HostCommand Command;

    // A byte rather than the int-sized enum, packed with the other two kinds.
    private readonly byte _tcpKind;
    public readonly ConnectionKey Key;
    public readonly ReadOnlyMemory<byte> Frame;
    public readonly ConnectionHost? Host;
    public readonly object? Argument;
    public readonly long Count;

    private StackEvent(StackEventKind kind, ReadOnlyMemory<byte> frame, ConnectionKey key, TcpEventKind tcpKind, HostCommand command, ConnectionHost? host, object? argument, long count)
    {
        Kind = kind;
        Frame = frame;
        Key = key;
        _tcpKind = (byte)tcpKind;
        Command = command;
        Host = host;
        Argument = argument;
        Count = count;
    }

    public TcpEventKind TcpKind => (TcpEventKind)_tcpKind;

    /// <summary>A segment, parsed into <see cref="TcpStack.InboundEvent"/>.</summary>
    public bool IsSegment => Kind == StackEventKind.Tcp && TcpKind == TcpEventKind.Segment;

    /// <summary>An ICMP fragmentation-needed error for a connection, parsed into <see cref="TcpStack.InboundEvent"/>.</summary>
    public bool IsPathMtu => Kind == StackEventKind.Tcp && TcpKind == TcpEventKind.PathMtu;

    public static StackEvent FromFrame(ReadOnlyMemory<byte> frame) => new(StackEventKind.Frame, frame, default, default, HostCommand.None, null, null, 0);

    public static StackEvent Segment(ConnectionKey key) =>
        new(StackEventKind.Tcp, default, key, TcpEventKind.Segment, HostCommand.None, null, null, 0);

    public static StackEvent PathMtu(ConnectionKey key) =>
        new(StackEventKind.Tcp, default, key, TcpEventKind.PathMtu, HostCommand.None, null, null, 0);

    /// <summary>An application or timer event that carries nothing but its kind and a count.</summary>
    public static StackEvent ForHost(ConnectionHost host, TcpEventKind kind, long count = 0) =>
        new(StackEventKind.Tcp, default, host.Key, kind, HostCommand.None, host, null, count);

    public static StackEvent ForHost(ConnectionHost host, HostCommand command, object? argument = null, long count = 0) =>
        new(StackEventKind.Host, default, host.Key, TcpEventKind.ReadCredit, command, host, argument, count);

    public static StackEvent Handled => new(StackEventKind.Handled, default, default, default, HostCommand.None, null, null, 0);
}
