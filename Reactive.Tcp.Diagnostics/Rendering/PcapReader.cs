using System.Buffers.Binary;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>
/// Reads classic libpcap files: both byte orders, microsecond and nanosecond timestamps, any link
/// type (the caller decides which it understands). pcapng files are recognised and refused with a
/// hint, since tcpdump and <see cref="Diagnostics.PcapWriter"/> both write the classic format.
/// </summary>
public static class PcapReader
{
    private const uint MagicMicros = 0xa1b2c3d4;
    private const uint MagicNanos = 0xa1b23c4d;
    private const uint MagicPcapng = 0x0a0d0d0a;
    private const int GlobalHeaderLength = 24;
    private const int RecordHeaderLength = 16;

    /// <summary>Largest record accepted: more than any snap length tcpdump uses, so a bigger one means a garbled file.</summary>
    private const int MaxRecordLength = 256 * 1024;

    /// <summary>Reads every record of the capture in <paramref name="stream"/>.</summary>
    /// <exception cref="PcapFormatException">The stream is not a classic pcap file, or a record is cut short or impossible.</exception>
    public static IReadOnlyList<PcapRecord> ReadAll(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[GlobalHeaderLength];
        int got = ReadFully(stream, header);
        if (got == 0) throw new PcapFormatException("The file is empty (a pcap file starts with a 24-byte header).");
        if (got >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(header) == MagicPcapng)
            throw new PcapFormatException("This is a pcapng file; only classic pcap is read (tcpdump -w writes it; convert with 'editcap -F pcap IN OUT').");
        if (got < GlobalHeaderLength) throw new PcapFormatException($"The file is {got} bytes long, shorter than a pcap header (24 bytes).");

        bool bigEndian;
        bool nanos;
        switch (BinaryPrimitives.ReadUInt32LittleEndian(header))
        {
            case MagicMicros: bigEndian = false; nanos = false; break;
            case MagicNanos: bigEndian = false; nanos = true; break;
            default:
                switch (BinaryPrimitives.ReadUInt32BigEndian(header))
                {
                    case MagicMicros: bigEndian = true; nanos = false; break;
                    case MagicNanos: bigEndian = true; nanos = true; break;
                    default:
                        throw new PcapFormatException($"Not a pcap file: it starts with 0x{BinaryPrimitives.ReadUInt32BigEndian(header):x8}, not a pcap magic number (a1b2c3d4 or a1b23c4d, either byte order).");
                }
                break;
        }

        uint Read32(ReadOnlySpan<byte> b) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
        int linkType = (int)(Read32(header.AsSpan(20)) & 0x0fffffff); // the top bits may carry FCS flags

        var records = new List<PcapRecord>();
        var recordHeader = new byte[RecordHeaderLength];
        long offset = GlobalHeaderLength;
        while (true)
        {
            got = ReadFully(stream, recordHeader);
            if (got == 0) break;
            if (got < RecordHeaderLength)
                throw new PcapFormatException($"The file is cut short: record {records.Count + 1} at byte {offset} has a {got}-byte header (16 expected).");
            uint seconds = Read32(recordHeader);
            uint fraction = Read32(recordHeader.AsSpan(4));
            uint included = Read32(recordHeader.AsSpan(8));
            uint original = Read32(recordHeader.AsSpan(12));
            if (included > MaxRecordLength || (nanos ? fraction >= 1_000_000_000 : fraction >= 1_000_000))
                throw new PcapFormatException($"Record {records.Count + 1} at byte {offset} is garbled (captured length {included}, sub-second field {fraction}).");
            var data = new byte[included];
            got = ReadFully(stream, data);
            if (got < included)
                throw new PcapFormatException($"The file is cut short: record {records.Count + 1} at byte {offset} says {included} bytes, only {got} follow.");
            long ticks = seconds * TimeSpan.TicksPerSecond + (nanos ? fraction / 100 : fraction * 10L);
            records.Add(new PcapRecord(DateTimeOffset.UnixEpoch.AddTicks(ticks), linkType, data, (int)Math.Min(original, int.MaxValue)));
            offset += RecordHeaderLength + included;
        }
        return records;
    }

    /// <summary>Reads the capture file at <paramref name="path"/> (see <see cref="ReadAll(Stream)"/>).</summary>
    public static IReadOnlyList<PcapRecord> ReadAll(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadAll(stream);
    }

    private static int ReadFully(Stream stream, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
