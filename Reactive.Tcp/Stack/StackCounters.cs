using Reactive.Tcp.Network;
using Reactive.Tcp.Rx;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Stack;

/// <summary>Running totals of what a stack has done, across its layers. Thread-safe to read.</summary>
public sealed class StackCounters
{
    private readonly NetworkCounters _network;
    private readonly TcpCounters _tcp;
    private readonly FaultCounter _faults;

    internal StackCounters(NetworkCounters network, TcpCounters tcp, FaultCounter faults)
    {
        _network = network;
        _tcp = tcp;
        _faults = faults;
    }

    /// <summary>TCP segments received and parsed.</summary>
    public long SegmentsIn => _tcp.SegmentsIn;
    /// <summary>TCP segments sent.</summary>
    public long SegmentsOut => _tcp.SegmentsOut;
    /// <summary>Segments sent again (timeout, fast retransmit).</summary>
    public long Retransmissions => _tcp.Retransmissions;
    /// <summary>Payload bytes handed to applications.</summary>
    public long BytesDelivered => _tcp.BytesDelivered;
    /// <summary>ICMP echo replies sent.</summary>
    public long EchoReplies => _network.EchoReplies;
    /// <summary>Connections that reached ESTABLISHED.</summary>
    public long ConnectionsOpened => _tcp.ConnectionsOpened;
    /// <summary>Connection blocks that reached CLOSED (including refused attempts).</summary>
    public long ConnectionsClosed => _tcp.ConnectionsClosed;
    /// <summary>Exceptions caught inside the pipeline (each costs only its packet or its connection).</summary>
    public long PipelineFaults => _faults.Count;

    /// <summary>SYN-ACKs sent with a SYN cookie (the SYN queue was full; no state kept).</summary>
    public long SynCookiesSent => _tcp.SynCookiesSent;
    /// <summary>ACKs whose SYN cookie validated: connections created straight in ESTABLISHED.</summary>
    public long SynCookiesAccepted => _tcp.SynCookiesAccepted;
    /// <summary>ACKs to a listener in SYN-cookie mode whose cookie did not validate (answered with RST).</summary>
    public long SynCookiesRejected => _tcp.SynCookiesRejected;
    /// <summary>RSTs sent for segments that found no connection, without creating any state.</summary>
    public long StatelessResets => _tcp.StatelessResets;
    /// <summary>Challenge ACKs not sent because the stack-wide budget per second was spent (RFC 5961 §7).</summary>
    public long ChallengeAcksSuppressed => _tcp.ChallengeAcksSuppressed;
    /// <summary>Duplicate ACKs for out-of-window segments not sent because their connection answered one less than the interval ago.</summary>
    public long OutOfWindowAcksSuppressed => _tcp.OutOfWindowAcksSuppressed;
    /// <summary><c>Connect()</c> attempts refused because the stack held its maximum of connections.</summary>
    public long ConnectsRefusedAtLimit => _tcp.ConnectsRefusedAtLimit;

    /// <summary>
    /// Closing connections that went straight to CLOSED because <see cref="Transport.StackLimits.MaxTimeWait"/>
    /// connections were in TIME-WAIT already (as Linux does beyond its time-wait buckets).
    /// </summary>
    public long TimeWaitSkipped => _tcp.TimeWaitSkipped;
    /// <summary>Connections in TIME-WAIT that a new SYN for the same 4-tuple ended early (RFC 9293 §3.10.7.4, RFC 6191).</summary>
    public long TimeWaitReused => _tcp.TimeWaitReused;
    /// <summary>SYNs answered with a RST because the stack held its maximum of connections, or its SYN queue was full without SYN cookies.</summary>
    public long SynsRefusedAtLimit => _tcp.SynsRefusedAtLimit;

    /// <summary>IPv4 datagrams put back together from fragments.</summary>
    public long DatagramsReassembled => _network.DatagramsReassembled;
    /// <summary>IPv4 fragments sent (datagrams larger than the outgoing link's MTU).</summary>
    public long FragmentsSent => _network.FragmentsSent;
    /// <summary>ICMP errors sent (port unreachable, reassembly time exceeded).</summary>
    public long IcmpErrorsSent => _network.IcmpErrorsSent;
    /// <summary>ICMP errors that would have been sent but the rate limit held back.</summary>
    public long IcmpErrorsSuppressed => _network.IcmpErrorsSuppressed;
    /// <summary>ICMP Destination Unreachable errors received and matched to a connection or a datagram of ours.</summary>
    public long IcmpErrorsReceived => _network.IcmpErrorsReceived;
    /// <summary>Fragmentation-needed errors handed to a connection (RFC 1191), whether or not they lowered its MSS.</summary>
    public long PathMtuUpdates => _tcp.PathMtuUpdates;

    /// <summary>A one-line summary.</summary>
    public override string ToString() =>
        $"segments in {SegmentsIn} out {SegmentsOut}, retransmissions {Retransmissions}, delivered {BytesDelivered} B, opened {ConnectionsOpened}, closed {ConnectionsClosed}";
}
