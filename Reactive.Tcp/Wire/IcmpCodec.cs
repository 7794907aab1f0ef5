using System.Buffers.Binary;

namespace Reactive.Tcp.Wire;

/// <summary>Reads and writes ICMP echo messages and Destination Unreachable errors (RFC 792, RFC 1191).</summary>
public static class IcmpCodec
{
    /// <summary>Type, code, checksum, identifier and sequence number.</summary>
    public const int EchoHeaderLength = 8;

    /// <summary>
    /// Parses an echo request or reply and verifies its checksum. Checks run in this order:
    /// shorter than 8 bytes → <see cref="DropReason.Truncated"/>; checksum →
    /// <see cref="DropReason.BadIcmpChecksum"/>; a type other than echo request/reply or a
    /// non-zero code → <see cref="DropReason.UnsupportedIcmp"/>.
    /// </summary>
    /// <param name="icmp">The ICMP message (the IP payload).</param>
    /// <param name="message">The message on success, with <see cref="IcmpEchoMessage.Data"/> empty; default otherwise.</param>
    /// <returns><see cref="DropReason.None"/> on success, else why the message was not accepted.</returns>
    public static DropReason TryParseEcho(ReadOnlySpan<byte> icmp, out IcmpEchoMessage message)
    {
        message = default;
        if (icmp.Length < EchoHeaderLength) return DropReason.Truncated;
        // Checksum first: a corrupted packet should count as corruption whatever its type byte says.
        if (Checksum.Compute(icmp) != 0) return DropReason.BadIcmpChecksum;
        byte type = icmp[0];
        if ((type != (byte)IcmpType.EchoRequest && type != (byte)IcmpType.EchoReply) || icmp[1] != 0)
            return DropReason.UnsupportedIcmp;

        message.Type = (IcmpType)type;
        message.Identifier = BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]);
        message.SequenceNumber = BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
        message.DataLength = icmp.Length - EchoHeaderLength;
        return DropReason.None;
    }

    /// <summary>
    /// As <see cref="TryParseEcho(ReadOnlySpan{byte}, out IcmpEchoMessage)"/>, and also sets
    /// <see cref="IcmpEchoMessage.Data"/> to a slice (not a copy) of <paramref name="icmp"/>.
    /// </summary>
    /// <param name="icmp">The ICMP message (the IP payload).</param>
    /// <param name="message">The message on success; default otherwise.</param>
    /// <returns><see cref="DropReason.None"/> on success, else why the message was not accepted.</returns>
    // Preferred for arrays, which convert to both overloads' parameter types, so Data gets filled.
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    public static DropReason TryParseEcho(ReadOnlyMemory<byte> icmp, out IcmpEchoMessage message)
    {
        var reason = TryParseEcho(icmp.Span, out message);
        if (reason == DropReason.None) message.Data = icmp[EchoHeaderLength..];
        return reason;
    }

    /// <summary>Writes an echo reply with its checksum.</summary>
    /// <param name="destination">Where to write; at least 8 bytes plus the data.</param>
    /// <param name="identifier">Identifier, copied from the request.</param>
    /// <param name="sequenceNumber">Sequence number, copied from the request.</param>
    /// <param name="data">Echo data, copied from the request.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteEchoReply(Span<byte> destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data) =>
        WriteEcho(destination, IcmpType.EchoReply, identifier, sequenceNumber, data);

    /// <summary>Writes an echo request with its checksum.</summary>
    /// <param name="destination">Where to write; at least 8 bytes plus the data.</param>
    /// <param name="identifier">Identifier the reply will carry.</param>
    /// <param name="sequenceNumber">Sequence number the reply will carry.</param>
    /// <param name="data">Echo data.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteEchoRequest(Span<byte> destination, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data) =>
        WriteEcho(destination, IcmpType.EchoRequest, identifier, sequenceNumber, data);

    /// <summary>Type, code, checksum and the 4-byte field (unused, or next-hop MTU) before the quoted packet.</summary>
    public const int ErrorHeaderLength = 8;

    /// <summary>Transport bytes an ICMP error quotes after the IP header (RFC 792: 64 bits).</summary>
    public const int QuotedTransportLength = 8;

    /// <summary>
    /// Parses a Destination Unreachable message and the packet it quotes. Checks run in this order:
    /// shorter than 8 bytes → <see cref="DropReason.Truncated"/>; checksum →
    /// <see cref="DropReason.BadIcmpChecksum"/>; another type → <see cref="DropReason.UnsupportedIcmp"/>;
    /// a quote that is not an IPv4 header with at least 8 transport bytes →
    /// <see cref="DropReason.BadIcmpQuote"/>. The quoted header's checksum is not checked: routers
    /// may quote a packet whose TTL they have already changed.
    /// </summary>
    /// <param name="icmp">The ICMP message (the IP payload).</param>
    /// <param name="message">The message on success; default otherwise.</param>
    /// <returns><see cref="DropReason.None"/> on success, else why the message was not accepted.</returns>
    public static DropReason TryParseError(ReadOnlySpan<byte> icmp, out IcmpErrorMessage message)
    {
        message = default;
        if (icmp.Length < ErrorHeaderLength) return DropReason.Truncated;
        if (Checksum.Compute(icmp) != 0) return DropReason.BadIcmpChecksum;
        if (icmp[0] != (byte)IcmpType.DestinationUnreachable) return DropReason.UnsupportedIcmp;

        var quote = icmp[ErrorHeaderLength..];
        if (quote.Length < Ipv4Codec.MinHeaderLength || quote[0] >> 4 != 4) return DropReason.BadIcmpQuote;
        int headerLength = (quote[0] & 0x0F) * 4;
        if (headerLength < Ipv4Codec.MinHeaderLength || quote.Length < headerLength + QuotedTransportLength) return DropReason.BadIcmpQuote;

        message.Type = IcmpType.DestinationUnreachable;
        message.Code = (UnreachableCode)icmp[1];
        if (message.Code == UnreachableCode.FragmentationNeeded) message.NextHopMtu = BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
        message.QuotedProtocol = (IpProtocol)quote[9];
        message.QuotedSource = IPv4Address.Read(quote[12..]);
        message.QuotedDestination = IPv4Address.Read(quote[16..]);
        // Only the first fragment (offset 0) quotes a transport header; later ones quote payload.
        message.QuotesTransportHeader = (BinaryPrimitives.ReadUInt16BigEndian(quote[6..]) & 0x1FFF) == 0;
        var transport = quote[headerLength..];
        message.QuotedSourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
        message.QuotedDestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[2..]);
        message.QuotedSeq = new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(transport[4..]));
        return DropReason.None;
    }

    /// <summary>Bytes of an offending packet a Destination Unreachable quotes: its IP header and 8 more bytes, or all of it if shorter.</summary>
    /// <param name="packet">The offending packet, starting at its IP header.</param>
    public static int QuoteLength(ReadOnlySpan<byte> packet)
    {
        int headerLength = packet.Length > 0 ? (packet[0] & 0x0F) * 4 : 0;
        return Math.Min(packet.Length, Math.Max(headerLength, Ipv4Codec.MinHeaderLength) + QuotedTransportLength);
    }

    /// <summary>Writes a Destination Unreachable message with its checksum.</summary>
    /// <param name="destination">Where to write; at least 8 bytes plus <paramref name="quote"/>.</param>
    /// <param name="code">Why the packet could not be delivered.</param>
    /// <param name="nextHopMtu">The next-hop MTU for <see cref="UnreachableCode.FragmentationNeeded"/>; 0 otherwise.</param>
    /// <param name="quote">What to quote of the offending packet (see <see cref="QuoteLength"/>).</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteDestinationUnreachable(Span<byte> destination, UnreachableCode code, ushort nextHopMtu, ReadOnlySpan<byte> quote)
    {
        int length = ErrorHeaderLength + quote.Length;
        if (destination.Length < length)
            throw new ArgumentException($"Need {length} bytes for this ICMP error, got {destination.Length}.", nameof(destination));

        var m = destination[..length];
        m[0] = (byte)IcmpType.DestinationUnreachable;
        m[1] = (byte)code;
        m[2] = 0;
        m[3] = 0;
        m[4] = 0;
        m[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(m[6..], code == UnreachableCode.FragmentationNeeded ? nextHopMtu : (ushort)0);
        quote.CopyTo(m[ErrorHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], Checksum.Compute(m));
        return length;
    }

    /// <summary>The Time Exceeded code for a datagram whose fragments did not all arrive in time (RFC 792).</summary>
    public const byte ReassemblyTimeExceededCode = 1;

    /// <summary>Writes a Time Exceeded message, "fragment reassembly time exceeded" (type 11, code 1), with its checksum.</summary>
    /// <param name="destination">Where to write; at least 8 bytes plus <paramref name="quote"/>.</param>
    /// <param name="quote">The IP header and first 8 data bytes of the datagram's first fragment (see <see cref="QuoteLength"/>).</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteReassemblyTimeExceeded(Span<byte> destination, ReadOnlySpan<byte> quote)
    {
        int length = ErrorHeaderLength + quote.Length;
        if (destination.Length < length)
            throw new ArgumentException($"Need {length} bytes for this ICMP error, got {destination.Length}.", nameof(destination));

        var m = destination[..length];
        m[0] = (byte)IcmpType.TimeExceeded;
        m[1] = ReassemblyTimeExceededCode;
        m[2..ErrorHeaderLength].Clear();
        quote.CopyTo(m[ErrorHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], Checksum.Compute(m));
        return length;
    }

    private static int WriteEcho(Span<byte> destination, IcmpType type, ushort identifier, ushort sequenceNumber, ReadOnlySpan<byte> data)
    {
        int length = EchoHeaderLength + data.Length;
        if (destination.Length < length)
            throw new ArgumentException($"Need {length} bytes for this ICMP echo, got {destination.Length}.", nameof(destination));

        var m = destination[..length];
        m[0] = (byte)type;
        m[1] = 0;
        m[2] = 0;
        m[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(m[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(m[6..], sequenceNumber);
        // The data may already sit in place (a reply built over its own request); copying onto
        // itself is harmless.
        data.CopyTo(m[EchoHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], Checksum.Compute(m));
        return length;
    }
}
