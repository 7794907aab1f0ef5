namespace Reactive.Tcp.Wire;

/// <summary>Codes of ICMP Destination Unreachable (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).</summary>
public enum UnreachableCode : byte
{
    /// <summary>Network unreachable.</summary>
    Network = 0,
    /// <summary>Host unreachable.</summary>
    Host = 1,
    /// <summary>Protocol unreachable (a hard error).</summary>
    Protocol = 2,
    /// <summary>Port unreachable: nobody listens on the quoted UDP port (a hard error).</summary>
    Port = 3,
    /// <summary>Fragmentation needed and DF set; the message carries the next-hop MTU (RFC 1191).</summary>
    FragmentationNeeded = 4,
    /// <summary>Source route failed.</summary>
    SourceRouteFailed = 5,
    /// <summary>Communication administratively prohibited (RFC 1812).</summary>
    AdministrativelyProhibited = 13,
}
