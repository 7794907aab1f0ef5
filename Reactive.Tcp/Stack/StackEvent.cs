using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Stack;

/// <summary>What kind of input entered the stack's serial event stream.</summary>
internal enum StackEventKind
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
internal enum HostCommand
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

/// <summary>One input to the stack's serial pipeline.</summary>
internal readonly struct StackEvent
{
    public readonly StackEventKind Kind;
    public readonly ReadOnlyMemory<byte> Frame;
    public readonly ConnectionKey Key;
    public readonly TcpEvent Tcp;
    public readonly HostCommand Command;
    public readonly ConnectionHost? Host;
    public readonly object? Argument;

    private StackEvent(StackEventKind kind, ReadOnlyMemory<byte> frame, ConnectionKey key, in TcpEvent tcp, HostCommand command, ConnectionHost? host, object? argument)
    {
        Kind = kind;
        Frame = frame;
        Key = key;
        Tcp = tcp;
        Command = command;
        Host = host;
        Argument = argument;
    }

    public static StackEvent FromFrame(ReadOnlyMemory<byte> frame) => new(StackEventKind.Frame, frame, default, default, HostCommand.None, null, null);

    public static StackEvent Segment(ConnectionKey key, in TcpSegment segment) =>
        new(StackEventKind.Tcp, default, key, TcpEvent.FromSegment(segment), HostCommand.None, null, null);

    public static StackEvent ForHost(ConnectionHost host, in TcpEvent ev) =>
        new(StackEventKind.Tcp, default, host.Key, ev, HostCommand.None, host, null);

    public static StackEvent ForHost(ConnectionHost host, HostCommand command, object? argument = null, long count = 0) =>
        new(StackEventKind.Host, default, host.Key, TcpEvent.Credit(count), command, host, argument);

    public static StackEvent Handled => new(StackEventKind.Handled, default, default, default, HostCommand.None, null, null);
}
