using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Tcp;

/// <summary>
/// What one step asks the world to do, filled by <see cref="TcpStep"/> and carried out by the host.
/// Reused from step to step, so a steady stream of segments allocates nothing here.
/// </summary>
internal sealed class TcpEffects
{
    private readonly List<TcpSegment> _transmit = new(4);
    private readonly List<ReadOnlyMemory<byte>> _deliver = new(2);

    /// <summary>Segments to send, in order. Payloads may slice the send buffer: serialise them before the next step.</summary>
    public IReadOnlyList<TcpSegment> Transmit => _transmit;

    /// <summary>
    /// Bytes for the application, in order. Each is a slice of the connection's receive buffer,
    /// not a copy: valid only until the next step on the same block (hand it on, or copy it, first).
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Deliver => _deliver;

    /// <summary>Bytes of a <see cref="TcpEventKind.Send"/> that the send buffer took.</summary>
    public int Accepted { get; internal set; }

    /// <summary>The state before the step, when it changed.</summary>
    public TcpState? PreviousState { get; internal set; }

    /// <summary>The connection reached ESTABLISHED in this step.</summary>
    public bool Connected { get; internal set; }

    /// <summary>The peer's FIN has been delivered: no more data will arrive.</summary>
    public bool ReceiveCompleted { get; internal set; }

    /// <summary>Send-buffer space was freed in this step (an ACK arrived).</summary>
    public bool SendSpaceFreed { get; internal set; }

    /// <summary>The connection is gone (CLOSED); <see cref="Error"/> says why if abnormally.</summary>
    public bool Closed { get; internal set; }

    /// <summary>Why the connection failed, when it did.</summary>
    public TcpError Error { get; internal set; }

    /// <summary>The segment was not acceptable and was dropped (counted by the host).</summary>
    public bool Dropped { get; internal set; }

    /// <summary>Retransmitted segments sent in this step.</summary>
    public int Retransmissions { get; internal set; }

    /// <summary>What kind of rate-limited ACK <see cref="Transmit"/> holds at <see cref="LimitedAckIndex"/>, if any.</summary>
    public LimitedAck LimitedAck { get; private set; }

    /// <summary>Position in <see cref="Transmit"/> of the ACK the host may withhold under its rate limit (−1: none).</summary>
    public int LimitedAckIndex { get; private set; } = -1;

    /// <summary>Marks the next segment sent as a rate-limited ACK of <paramref name="kind"/>.</summary>
    internal void MarkNextAsLimited(LimitedAck kind)
    {
        LimitedAck = kind;
        LimitedAckIndex = _transmit.Count;
    }

    internal void Send(in TcpSegment segment) => _transmit.Add(segment);

    internal void DeliverData(ReadOnlyMemory<byte> data) => _deliver.Add(data);

    /// <summary>Forgets everything, ready for the next step.</summary>
    public void Clear()
    {
        _transmit.Clear();
        _deliver.Clear();
        Accepted = 0;
        PreviousState = null;
        Connected = ReceiveCompleted = SendSpaceFreed = Closed = Dropped = false;
        Error = TcpError.None;
        Retransmissions = 0;
        LimitedAck = LimitedAck.None;
        LimitedAckIndex = -1;
    }
}
