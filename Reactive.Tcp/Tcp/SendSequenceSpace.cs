using System.Runtime.InteropServices;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// The send side of a connection (RFC 9293 §3.3.1): the send sequence variables, the peer's
/// window and MSS, the data queued by the application and our FIN.
/// </summary>
/// <remarks>
/// A struct that <see cref="Tcb"/> holds inline and hands out by reference (<c>tcb.Send.Una = ack</c>),
/// so it costs no object; never copy it into a local to change it.
/// </remarks>
[StructLayout(LayoutKind.Auto)]
internal struct SendSequenceSpace
{
    /// <summary>Nothing sent yet: SND.UNA = SND.NXT = SND.MAX = ISS, data to start after the SYN.</summary>
    /// <param name="iss">Initial send sequence number.</param>
    /// <param name="bufferSize">Send buffer capacity in bytes.</param>
    /// <param name="defaultPeerMss">MSS assumed until the peer announces one.</param>
    public SendSequenceSpace(SeqNum iss, int bufferSize, int defaultPeerMss)
    {
        Iss = Una = Nxt = Max = iss;
        BufferStart = iss + 1;
        Buffer = new ByteRing(bufferSize);
        PeerMss = defaultPeerMss;
        PathMss = int.MaxValue;
    }

    /// <summary>Initial send sequence number (ISS).</summary>
    public SeqNum Iss { get; }
    /// <summary>Oldest unacknowledged sequence number (SND.UNA).</summary>
    public SeqNum Una { get; set; }
    /// <summary>Next sequence number to send (SND.NXT).</summary>
    public SeqNum Nxt { get; set; }
    /// <summary>Highest sequence number sent so far (SND.NXT can fall back below it after a timeout).</summary>
    public SeqNum Max { get; set; }
    /// <summary>Data sent and not yet acknowledged (bytes of sequence space).</summary>
    public readonly int BytesInFlight => Nxt - Una;

    /// <summary>Peer's window in bytes, already scaled (SND.WND).</summary>
    public long Wnd { readonly get => _wnd; set => _wnd = Narrow.ToInt(value); }
    private int _wnd;
    /// <summary>Largest window the peer has offered.</summary>
    public long MaxWnd { readonly get => _maxWnd; set => _maxWnd = Narrow.ToInt(value); }
    private int _maxWnd;
    /// <summary>Segment sequence number used for the last window update (SND.WL1).</summary>
    public SeqNum Wl1 { get; set; }
    /// <summary>Segment acknowledgment number used for the last window update (SND.WL2).</summary>
    public SeqNum Wl2 { get; set; }
    /// <summary>Shift applied to the peer's window field (0 unless both sides sent window scale).</summary>
    public int WndShift { readonly get => _wndShift; set => _wndShift = Narrow.ToByte(value); }
    private byte _wndShift;

    /// <summary>MSS the peer announced (536 when it announced none).</summary>
    public int PeerMss { readonly get => _peerMss; set => _peerMss = Narrow.ToUShort(value); }
    private ushort _peerMss;
    /// <summary>Largest payload the path MTU allows (RFC 1191), once ICMP has lowered it; int.MaxValue until then.</summary>
    public int PathMss { get; set; }
    /// <summary>Largest payload we put in one segment, given the MSS we announced.</summary>
    public readonly int EffectiveMss(int ourMss) => Math.Max(1, Math.Min(Math.Min(PeerMss, ourMss), PathMss));

    /// <summary>Sequence number of the first byte in <see cref="Buffer"/>.</summary>
    public SeqNum BufferStart { get; set; }
    /// <summary>Unacknowledged and unsent application data.</summary>
    public ByteRing Buffer;
    /// <summary>Sequence number just past the last byte queued by the application.</summary>
    public readonly SeqNum DataEnd => BufferStart + Buffer.Count;
    /// <summary>Bytes of send buffer free for the application.</summary>
    public readonly int BufferFree => FinQueued ? 0 : Buffer.Free;

    /// <summary>The application asked to close: a FIN follows the queued data.</summary>
    public bool FinQueued { get; set; }
    /// <summary>Our FIN has been sent at least once.</summary>
    public bool FinSent { get; set; }
    /// <summary>Our FIN's sequence number, once sent.</summary>
    public SeqNum FinSeq { get; set; }
}
