namespace Reactive.Tcp.Wire;

/// <summary>ICMP message types the stack handles (RFC 792).</summary>
public enum IcmpType : byte
{
    /// <summary>Echo reply ("pong").</summary>
    EchoReply = 0,
    /// <summary>Destination unreachable: an error quoting the packet that could not be delivered.</summary>
    DestinationUnreachable = 3,
    /// <summary>Echo request ("ping").</summary>
    EchoRequest = 8,
    /// <summary>Time exceeded: an error quoting a packet whose TTL ran out, or a datagram whose reassembly timed out (RFC 792).</summary>
    TimeExceeded = 11,
}
