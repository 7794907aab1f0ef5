namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>One packet record of a capture file.</summary>
/// <param name="Timestamp">When the packet was captured (UTC; a virtual-time capture starts at the Unix epoch).</param>
/// <param name="LinkType">The file's link type (<c>LINKTYPE_*</c>): what the record's bytes start with.</param>
/// <param name="Data">The captured bytes (possibly fewer than the packet had: see <paramref name="OriginalLength"/>).</param>
/// <param name="OriginalLength">The packet's length on the wire.</param>
public sealed record PcapRecord(DateTimeOffset Timestamp, int LinkType, byte[] Data, int OriginalLength);
