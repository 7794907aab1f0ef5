using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Stack;

// The ICMP error for a datagram that never came whole: its sender learns that its fragments were
// thrown away (RFC 792 type 11 code 1), under the same stack-wide budget as every other ICMP error.
public sealed partial class TcpStack
{
    /// <summary>
    /// Called by the reassembler (under the gate) when a datagram whose first fragment arrived
    /// times out; <paramref name="quote"/> is that fragment's IP header and first 8 data bytes.
    /// Never about an ICMP error (RFC 1122 §3.2.2) nor to a source that is not one host.
    /// </summary>
    private void SendReassemblyTimeExceeded(byte[] quote)
    {
        if (!Options.IcmpErrors.SendReassemblyTimeExceeded) return;
        // The quote passed Ipv4Codec.TryParse when its fragment arrived.
        if (!IsUnicastHost(IPv4Address.Read(quote.AsSpan(12)))) return;
        int headerLength = (quote[0] & 0x0F) * 4;
        if (quote[9] == (byte)IpProtocol.Icmp && quote.Length > headerLength
            && quote[headerLength] is not ((byte)IcmpType.EchoRequest or (byte)IcmpType.EchoReply)) return;
        if (!_icmpErrorLimit.TryTake(Scheduler.Now.UtcTicks))
        {
            Counters.IcmpErrorSuppressed();
            return;
        }
        _link.Send(PacketBuilder.BuildReassemblyTimeExceeded(Address, quote));
        Counters.IcmpErrorSent();
    }
}
