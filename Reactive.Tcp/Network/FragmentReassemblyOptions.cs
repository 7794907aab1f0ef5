namespace Reactive.Tcp.Network;

/// <summary>Limits of a stack's IPv4 fragment reassembly (see <c>TcpStackOptions.Reassembly</c>).</summary>
public sealed record FragmentReassemblyOptions
{
    /// <summary>Defaults: 256 KiB, 64 datagrams, 256 fragments each, 30 s.</summary>
    public static FragmentReassemblyOptions Default { get; } = new();

    /// <summary>Reassemble fragments at all; when false every fragment is dropped as <see cref="Wire.DropReason.Fragment"/>.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Bytes of reassembly buffers the stack holds at once, over all datagrams (Linux's
    /// ipfrag_high_thresh is 4 MiB per namespace; a userspace stack per link needs less). Past it,
    /// the oldest datagrams are evicted first. A datagram's buffer is as long as the highest
    /// offset seen, in pooled size classes (2 KiB … 64 KiB).
    /// </summary>
    public int MemoryLimit { get; init; } = 256 * 1024;

    /// <summary>Datagrams being reassembled at once; a new one past it evicts the oldest.</summary>
    public int MaxDatagrams { get; init; } = 64;

    /// <summary>Fragments one datagram may take (a 64 KiB datagram over a 576-byte MTU needs 118).</summary>
    public int MaxFragmentsPerDatagram { get; init; } = 256;

    /// <summary>How long a datagram may wait for its missing fragments (RFC 791 suggests 15 s; Linux uses 30 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}
