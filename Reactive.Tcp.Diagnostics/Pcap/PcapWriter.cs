using System.Buffers.Binary;

namespace Reactive.Tcp.Diagnostics;

/// <summary>
/// Writes packets to a classic libpcap capture (microsecond timestamps, version 2.4, snap length
/// 65535), readable by Wireshark and tcpdump. The link type is <c>LINKTYPE_RAW</c> = 101 (each
/// record a bare IP packet) unless <see cref="PcapLinkType.Ethernet"/> is asked for (each record an
/// Ethernet II frame, as a TAP device or a switch port carries). <see cref="Write"/> is thread-safe.
/// </summary>
/// <remarks>
/// Timestamps earlier than the Unix epoch cannot be stored; they are taken as time elapsed since
/// <see cref="DateTimeOffset.MinValue"/>, which is what a virtual clock such as <c>TestScheduler</c>
/// (starting at tick 0) reads, so a virtual-time capture starts at 1970-01-01 with the right spacing.
/// Packets written after disposal are dropped, so a link still running while its capture closes
/// does not fault.
/// </remarks>
public sealed class PcapWriter : IDisposable
{
    /// <summary>Magic number of a microsecond-resolution pcap file.</summary>
    public const uint Magic = 0xa1b2c3d4;

    /// <summary>Largest number of bytes kept of each packet.</summary>
    public const int SnapLength = 65535;

    /// <summary><c>LINKTYPE_RAW</c>: records start with the IP header.</summary>
    public const int LinkTypeRaw = (int)PcapLinkType.Raw;

    /// <summary><c>LINKTYPE_ETHERNET</c>: records start with the Ethernet header.</summary>
    public const int LinkTypeEthernet = (int)PcapLinkType.Ethernet;

    private const int GlobalHeaderLength = 24;
    private const int RecordHeaderLength = 16;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly object _gate = new();
    private bool _disposed;
    private long _packets;

    /// <summary>Starts a raw-IP capture on <paramref name="stream"/> and writes the global header.</summary>
    /// <param name="stream">A writable stream positioned where the file starts.</param>
    /// <param name="leaveOpen">Whether to leave <paramref name="stream"/> open on disposal.</param>
    public PcapWriter(Stream stream, bool leaveOpen = false)
        : this(stream, PcapLinkType.Raw, leaveOpen)
    {
    }

    /// <summary>Starts a capture of <paramref name="linkType"/> records on <paramref name="stream"/> and writes the global header.</summary>
    /// <param name="stream">A writable stream positioned where the file starts.</param>
    /// <param name="linkType">What every record starts with.</param>
    /// <param name="leaveOpen">Whether to leave <paramref name="stream"/> open on disposal.</param>
    public PcapWriter(Stream stream, PcapLinkType linkType, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!Enum.IsDefined(linkType))
        {
            throw new ArgumentOutOfRangeException(nameof(linkType), linkType, "Not a link type this writer knows.");
        }

        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        LinkType = linkType;
        WriteGlobalHeader();
    }

    /// <summary>Creates (or overwrites) the raw-IP capture file at <paramref name="path"/>.</summary>
    /// <param name="path">File to write.</param>
    public PcapWriter(string path)
        : this(path, PcapLinkType.Raw)
    {
    }

    /// <summary>Creates (or overwrites) the capture file at <paramref name="path"/>, of <paramref name="linkType"/> records.</summary>
    /// <param name="path">File to write.</param>
    /// <param name="linkType">What every record starts with.</param>
    public PcapWriter(string path, PcapLinkType linkType)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024), linkType, leaveOpen: false)
    {
    }

    /// <summary>What every record starts with: the IP header or the Ethernet header.</summary>
    public PcapLinkType LinkType { get; }

    /// <summary>Number of packets written so far.</summary>
    public long PacketCount => Interlocked.Read(ref _packets);

    /// <summary>Appends one packet record, keeping at most <see cref="SnapLength"/> bytes of it.</summary>
    /// <param name="packet">The IP packet, or the Ethernet frame for an <see cref="PcapLinkType.Ethernet"/> capture.</param>
    /// <param name="timestamp">When the packet was seen.</param>
    public void Write(ReadOnlySpan<byte> packet, DateTimeOffset timestamp)
    {
        var captured = Math.Min(packet.Length, SnapLength);
        var (seconds, microseconds) = ToPcapTime(timestamp);

        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], microseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)captured);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)packet.Length);

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _stream.Write(header);
            _stream.Write(packet[..captured]);
            _packets++;
        }
    }

    /// <summary>Pushes buffered records to the underlying stream.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _stream.Flush();
            }
        }
    }

    /// <summary>Flushes the capture and closes the stream unless it was to be left open.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stream.Flush();
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    private void WriteGlobalHeader()
    {
        Span<byte> header = stackalloc byte[GlobalHeaderLength];

        // Little-endian throughout: readers recognise the byte order from the magic number.
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);    // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);  // sigfigs: always 0 in practice
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)LinkType);
        _stream.Write(header);
    }

    internal static (uint Seconds, uint Microseconds) ToPcapTime(DateTimeOffset timestamp)
    {
        var ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < 0)
        {
            ticks = timestamp.UtcTicks; // a virtual clock: elapsed since its zero.
        }

        var micros = ticks / 10;

        // The classic format's seconds field is 32 bits; it wraps in 2106, as every pcap writer does.
        return (unchecked((uint)(micros / 1_000_000)), (uint)(micros % 1_000_000));
    }
}
