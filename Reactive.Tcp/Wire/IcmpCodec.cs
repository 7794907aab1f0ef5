using System.Buffers.Binary;

namespace Reactive.Tcp.Wire;

/// <summary>Reads and writes ICMP echo messages (RFC 792), the only ICMP the stack answers.</summary>
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
