using System.Runtime.InteropServices;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// The receive side of a connection (RFC 9293 §3.3.1): the receive sequence variables and the
/// window we advertise, the data received (in order and out of order), the peer's FIN, what the
/// application will still take, and the delayed-ACK bookkeeping.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference (<c>tcb.Receive.Nxt = next</c>),
/// so it costs no object; never copy it into a local to change it.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct ReceiveSequenceSpace
{
    /// <summary>How many segments quick-ACK mode lasts.</summary>
    public const int QuickAckSegments = 16;

    /// <summary>Nothing received yet.</summary>
    /// <param name="bufferSize">Receive buffer capacity in bytes.</param>
    /// <param name="windowScaling">Whether we offer window scaling (RFC 7323).</param>
    public ReceiveSequenceSpace(int bufferSize, bool windowScaling)
    {
        Buffer = new ByteRing(bufferSize);
        OutOfOrder = new ReassemblyRanges(maxRanges: 64);
        _offeredShift = windowScaling ? (byte)OfferedShiftFor(bufferSize) : (byte)0;
    }

    /// <summary>The window shift a receive buffer of <paramref name="bufferSize"/> bytes is offered with: the least that lets the 16-bit field cover it.</summary>
    public static int OfferedShiftFor(int bufferSize)
    {
        int shift = 0;
        while ((bufferSize >> shift) > 65535 && shift < 14) shift++;
        return shift;
    }

    /// <summary>Initial receive sequence number (IRS).</summary>
    public SeqNum Irs { get; set; }
    /// <summary>Next sequence number expected (RCV.NXT).</summary>
    public SeqNum Nxt { get; set; }
    /// <summary>Highest right edge of the window we advertised; data beyond it is trimmed.</summary>
    public SeqNum AdvertisedEdge { get; set; }
    /// <summary>Window we last advertised (bytes).</summary>
    public long LastAdvertisedWindow { readonly get => _lastAdvertisedWindow; set => _lastAdvertisedWindow = Narrow.ToInt(value); }
    private int _lastAdvertisedWindow;
    /// <summary>Shift we apply to our window field (0 unless both sides sent window scale).</summary>
    public int WndShift { readonly get => _wndShift; set => _wndShift = Narrow.ToByte(value); }
    private byte _wndShift;
    /// <summary>Shift we offer in our SYN.</summary>
    public readonly int OfferedShift => _offeredShift;
    private readonly byte _offeredShift;
    /// <summary>The peer's SYN carried a window-scale option.</summary>
    public bool PeerOfferedWindowScale { get; set; }

    /// <summary>In-order undelivered data, then out-of-order data at its offset.</summary>
    public ByteRing Buffer;
    /// <summary>Bytes received in order and not yet delivered.</summary>
    public readonly int Queued => Buffer.Count;
    /// <summary>Out-of-order ranges held beyond RCV.NXT.</summary>
    public ReassemblyRanges OutOfOrder;
    /// <summary>Start of the out-of-order range that the latest arrival touched (reported first in SACK blocks, RFC 2018 §4).</summary>
    public SeqNum? LatestOutOfOrder { get; set; }
    /// <summary>Bytes the application will still take.</summary>
    public long ReadCredit { get; set; }

    /// <summary>Sequence number of the peer's FIN once seen (possibly ahead of RCV.NXT).</summary>
    public SeqNum? PeerFinSeq { get; set; }
    /// <summary>The peer's FIN has been taken in order.</summary>
    public bool PeerFinReceived { get; set; }
    /// <summary>The application has been told that no more data will arrive.</summary>
    public bool CompletedSignalled { get; set; }

    /// <summary>Full-sized in-order segments received since our last ACK.</summary>
    public int UnackedSegments { readonly get => _unackedSegments; set => _unackedSegments = Narrow.ToUShort(value); }
    private ushort _unackedSegments;
    /// <summary>
    /// Segments still to acknowledge at once before delayed ACKs resume: after any disorder the
    /// sender is recovering with a small window, which the ACK timer must not hold up.
    /// </summary>
    public int QuickAcks { readonly get => _quickAcks; set => _quickAcks = Narrow.ToByte(value); }
    private byte _quickAcks;
    /// <summary>Largest payload seen from the peer: what "full-sized" means for delayed ACKs.</summary>
    public int LargestSegmentSeen { readonly get => _largestSegmentSeen; set => _largestSegmentSeen = Narrow.ToUShort(value); }
    private ushort _largestSegmentSeen;
}
