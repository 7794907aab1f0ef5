namespace Reactive.Tcp.Wire;

/// <summary>The ECN field: the two low bits of the IPv4 TOS byte (RFC 3168 §5).</summary>
public enum IpEcn : byte
{
    /// <summary>Not-ECT: the sender's transport does not understand congestion marks.</summary>
    NotEct = 0b00,
    /// <summary>ECT(1): ECN-capable transport, codepoint 1 (used by L4S; we never send it).</summary>
    Ect1 = 0b01,
    /// <summary>ECT(0): ECN-capable transport, the codepoint RFC 3168 senders use.</summary>
    Ect0 = 0b10,
    /// <summary>CE: a router on the path saw congestion and marked the packet instead of dropping it.</summary>
    Ce = 0b11,
}
