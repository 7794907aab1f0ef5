namespace Reactive.Tcp.Wire;

/// <summary>IPv4 protocol numbers the stack knows (IANA "Assigned Internet Protocol Numbers").</summary>
public enum IpProtocol : byte
{
    /// <summary>Internet Control Message Protocol.</summary>
    Icmp = 1,
    /// <summary>Transmission Control Protocol.</summary>
    Tcp = 6,
    /// <summary>User Datagram Protocol.</summary>
    Udp = 17,
}
