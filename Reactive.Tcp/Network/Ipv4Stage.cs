using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using Reactive.Tcp.Interfaces;
using Reactive.Tcp.Rx;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Network;

/// <summary>
/// The IPv4 layer of the inbound pipeline: validates each packet, puts fragments back together,
/// decides local delivery, and answers what is its own business (echo requests) on its
/// <see cref="Outbound"/> stream. What it passes on is a whole, valid packet for one of the stack's
/// addresses carrying TCP, UDP, or an ICMP error about a packet of ours, for the transports.
/// Everything else is dropped and counted under its <see cref="DropReason"/>.
/// </summary>
internal sealed class Ipv4Stage : IStage<ReceivedPacket, InboundPacket>, IDisposable
{
    private readonly LocalAddresses _local;
    private readonly FragmentReassemblyOptions _reassembly;
    private readonly bool _answerPing;
    private readonly DropCounters _drops;
    private readonly NetworkCounters _counters;
    private readonly FaultCounter _faults;
    private readonly Subject<OutboundPacket> _outbound = new();

    public Ipv4Stage(LocalAddresses local, FragmentReassemblyOptions reassembly, IcmpErrorOptions icmpErrors, bool answerPing,
        IScheduler scheduler, object gate, DropCounters drops, NetworkCounters counters, FaultCounter faults)
    {
        _local = local;
        _reassembly = reassembly;
        _answerPing = answerPing;
        _drops = drops;
        _counters = counters;
        _faults = faults;
        IcmpErrors = new IcmpErrorSender(icmpErrors, scheduler, _outbound, counters);
        Reassembler = new FragmentReassembler(reassembly, scheduler, gate, drops, IcmpErrors.ReassemblyTimeExceeded);
    }

    /// <summary>What this layer sends by itself: echo replies and ICMP errors (including those the transports ask for).</summary>
    public IObservable<OutboundPacket> Outbound => _outbound;

    /// <summary>The stack-wide ICMP error sender (the UDP transport's port unreachable goes through it too).</summary>
    public IcmpErrorSender IcmpErrors { get; }

    /// <summary>The fragment reassembler (for tests: what it holds).</summary>
    public FragmentReassembler Reassembler { get; }

    /// <inheritdoc />
    public void OnNext(in ReceivedPacket value, IObserver<InboundPacket> downstream)
    {
        try
        {
            if (!IsFragment(value.Data.Span))
            {
                Deliver(value.Data, downstream);
                return;
            }
            var whole = Reassemble(value.Data);
            if (whole is null) return;
            try
            {
                Deliver(whole.Memory, downstream);
            }
            finally
            {
                // Every layer below has copied what it keeps by now: the chain is synchronous and serial.
                whole.Release();
            }
        }
        catch (Exception)
        {
            _faults.Record();
        }
    }

    /// <summary>Stops reassembly: held fragments go back to the pool and their timers are cancelled.</summary>
    public void Dispose()
    {
        Reassembler.Dispose();
        _outbound.OnCompleted();
    }

    private void Deliver(ReadOnlyMemory<byte> frame, IObserver<InboundPacket> downstream)
    {
        var reason = PacketParser.Parse(frame, out var packet);
        if (reason != DropReason.None) { _drops.Increment(reason); return; }
        if (!_local.Contains(packet.Ip.Destination)) { _drops.Increment(DropReason.NotForUs); return; }
        switch (packet.Kind)
        {
            case PacketKind.Tcp:
            case PacketKind.Udp:
                downstream.OnNext(packet);
                return;
            case PacketKind.IcmpError:
                ref readonly var error = ref packet.IcmpError;
                // Only an error about a packet we sent, quoting enough to name its flow, can concern a transport.
                if (!_local.Contains(error.QuotedSource) || !error.QuotesTransportHeader) { _drops.Increment(DropReason.IcmpNoConnection); return; }
                downstream.OnNext(packet);
                return;
            case PacketKind.IcmpEcho when packet.Icmp.Type == IcmpType.EchoRequest && _answerPing:
                AnswerEcho(packet);
                return;
            default:
                _drops.Increment(DropReason.UnsupportedProtocol);
                return;
        }
    }

    private void AnswerEcho(in InboundPacket request)
    {
        ref readonly var echo = ref request.Icmp;
        var reply = PooledPacket.Rent(PacketBuilder.GetIcmpEchoPacketLength(echo.Data.Length));
        PacketBuilder.WriteIcmpEchoReply(reply.Span, request.Ip.Destination, request.Ip.Source, echo.Identifier, echo.SequenceNumber, echo.Data.Span);
        _outbound.OnNext(new OutboundPacket(reply));
        _counters.EchoReply();
    }

    private static bool IsFragment(ReadOnlySpan<byte> frame) =>
        frame.Length >= Ipv4Codec.MinHeaderLength && (frame[6] & 0x3F | frame[7]) != 0;

    /// <summary>Hands a fragment to the reassembler; returns the whole datagram once it is complete.</summary>
    private PooledPacket? Reassemble(ReadOnlyMemory<byte> frame)
    {
        var reason = Ipv4Codec.TryParse(frame.Span, out var ip);
        if (reason == DropReason.None && !_reassembly.Enabled) reason = DropReason.Fragment;
        if (reason == DropReason.None && !_local.Contains(ip.Destination)) reason = DropReason.NotForUs;
        if (reason != DropReason.None)
        {
            _drops.Increment(reason);
            return null;
        }
        var whole = Reassembler.Accept(frame.Span, ip);
        if (whole is not null) _counters.DatagramReassembled();
        return whole;
    }
}
