using System.Reactive.Concurrency;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Network;

/// <summary>
/// Sends the ICMP errors a stack owes (port unreachable for UDP, reassembly time exceeded) onto
/// the network layer's outbound stream, under one stack-wide rate limit, and never where RFC 1122
/// §3.2.2 forbids: about an ICMP error, to a source that is not one host.
/// </summary>
internal sealed class IcmpErrorSender(IcmpErrorOptions options, IScheduler scheduler, IObserver<OutboundPacket> outbound, NetworkCounters counters)
{
    private readonly IcmpRateLimiter _limit = new(options.Interval, options.Burst);

    /// <summary>
    /// Port unreachable for a UDP datagram nobody takes (RFC 1122 §4.1.3.1). The datagram is whole
    /// (fragments were reassembled first) and is UDP, so it is never an ICMP error itself.
    /// </summary>
    /// <param name="packet">The datagram, starting at its IP header.</param>
    public void PortUnreachable(ReadOnlySpan<byte> packet)
    {
        if (!options.SendPortUnreachable || !IsUnicastHost(IPv4Address.Read(packet[12..])) || !TakeToken()) return;
        Emit(PacketBuilder.BuildDestinationUnreachable(IPv4Address.Read(packet[16..]), packet, UnreachableCode.Port));
    }

    /// <summary>
    /// Time exceeded / fragment reassembly time exceeded (RFC 792 type 11 code 1) for a datagram
    /// whose first fragment arrived but which never came whole; never about an ICMP error.
    /// </summary>
    /// <param name="quote">That first fragment's IP header and first 8 data bytes.</param>
    public void ReassemblyTimeExceeded(byte[] quote)
    {
        if (!options.SendReassemblyTimeExceeded) return;
        // The quote passed Ipv4Codec.TryParse when its fragment arrived.
        if (!IsUnicastHost(IPv4Address.Read(quote.AsSpan(12)))) return;
        int headerLength = (quote[0] & 0x0F) * 4;
        if (quote[9] == (byte)IpProtocol.Icmp && quote.Length > headerLength
            && quote[headerLength] is not ((byte)IcmpType.EchoRequest or (byte)IcmpType.EchoReply)) return;
        if (!TakeToken()) return;
        Emit(PacketBuilder.BuildReassemblyTimeExceeded(IPv4Address.Read(quote.AsSpan(16)), quote));
    }

    /// <summary>One host, not broadcast, multicast, unspecified, "this network" or loopback (RFC 1122 §3.2.2).</summary>
    public static bool IsUnicastHost(IPv4Address address)
    {
        uint value = address.Value;
        return value != 0 && value != 0xFFFFFFFF && (value >> 28) < 0xE && (value >> 24) != 0 && (value >> 24) != 127;
    }

    private bool TakeToken()
    {
        if (_limit.TryTake(scheduler.Now.UtcTicks)) return true;
        counters.IcmpErrorSuppressed();
        return false;
    }

    private void Emit(byte[] packet)
    {
        outbound.OnNext(new OutboundPacket(PooledPacket.CopyOf(packet)));
        counters.IcmpErrorSent();
    }
}
