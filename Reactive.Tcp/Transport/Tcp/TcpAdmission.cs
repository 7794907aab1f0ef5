using Reactive.Tcp.Network;
using Reactive.Tcp.Rx;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// The TCP transport's gate, before grouping: what may reach a connection, or open one.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A segment for a live connection passes. One for a 4-tuple in TIME-WAIT is that record's
/// (<see cref="TimeWaitTable"/>), unless it is a new SYN that may take the 4-tuple over. One that
/// finds no connection opens one only if it is a SYN the listener's queue has room for, or an ACK
/// returning a valid SYN cookie; otherwise it is answered statelessly (RST, SYN cookie) or dropped,
/// and counted, so a flood of SYNs or stray segments allocates nothing per packet. A SYN is never
/// dropped without an answer.</item>
/// <item>An ICMP error passes, as a path-MTU report, only for a live connection and only when it
/// says fragmentation was needed; other codes are soft errors (RFC 1122 §4.2.3.9, RFC 5927 §4.2):
/// counted and ignored.</item>
/// <item>A command passes if the connection it was meant for is the live one under its key; else it
/// is refused (<see cref="ConnectionState.Reject"/>). <c>Connect</c> passes while the stack holds
/// fewer than its maximum of connections.</item>
/// </list>
/// A pipeline error (a broken link) ends every live connection here, while the table still holds them.
/// </remarks>
internal sealed class TcpAdmission(TcpTransport transport) : IStage<TcpInput, TcpInput>
{
    private SynCookies? _synCookies;

    private SynCookies Cookies => _synCookies ??= new SynCookies(transport.SynCookieSecret);

    /// <inheritdoc />
    public void OnNext(in TcpInput input, IObserver<TcpInput> downstream)
    {
        try
        {
            if (input.Command != ConnectionCommand.None) AdmitCommand(input, downstream);
            else if (input.IsSegment) AdmitSegment(input, downstream);
            else AdmitIcmpError(input, downstream);
        }
        catch (Exception)
        {
            transport.Faults.Record();
        }
    }

    /// <inheritdoc />
    public void OnError(Exception error, IObserver<TcpInput> downstream)
    {
        transport.FailConnections(error);
        downstream.OnError(error);
    }

    private void AdmitSegment(in TcpInput input, IObserver<TcpInput> downstream)
    {
        var key = input.Key;
        ref readonly var seg = ref input.Event.Segment;
        uint source = key.RemoteAddress.Value;
        if (source == 0 || source == 0xFFFFFFFF || (source >> 28) == 0xE || seg.SourcePort == 0 || seg.DestinationPort == 0)
        {
            transport.Drops.Increment(DropReason.BadAddress);
            return;
        }
        transport.Counters.SegmentIn();
        if (transport.Table.TryGetState(key, out _))
        {
            downstream.OnNext(input);
            return;
        }
        bool listening = transport.TryGetListener(key.LocalPort, out var listener);
        SeqNum? iss = null;
        if (transport.TimeWait.TryGet(key, out var timeWait))
        {
            // A new SYN may take the 4-tuple over from TIME-WAIT when it cannot be an old
            // duplicate (RFC 9293 §3.10.7.4, RFC 6191); everything else is TIME-WAIT's business.
            if (!listening || !TcpStep.IsPlainSyn(seg) || !TcpStep.MayReuseTimeWait(timeWait.Tcb, seg))
            {
                transport.TimeWait.Step(timeWait, input.Event);
                return;
            }
            // Start above anything the old incarnation sent, as Linux does (snd_nxt + 65535 + 2).
            iss = timeWait.Tcb.SndMax + 65537;
            transport.TimeWait.Reuse(timeWait);
        }
        if (listening)
        {
            long now = transport.Now;
            if (TcpStep.IsPlainSyn(seg))
            {
                if (AdmitSyn(key, seg, listener, now))
                    downstream.OnNext(iss is { } start ? input.Creating(new ConnectionState(transport, key) { InitialSequence = start }) : input);
                return;
            }
            if (TcpStep.IsPlainAck(seg) && listener.LastCookieAt > now - 2 * SynCookies.Period.Ticks)
            {
                if (AdmitCookieAck(key, seg, now) is { } created) downstream.OnNext(input.Creating(created));
                return;
            }
            if ((seg.Flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == 0)
            {
                // RFC 9293 §3.10.7.2, fourth: a listener drops a segment with none of SYN, ACK
                // and RST; only an ACK earns a RST there.
                transport.Drops.Increment(DropReason.NoConnection);
                return;
            }
        }
        RefuseStatelessly(key, seg, DropReason.NoConnection);
    }

    private bool AdmitSyn(ConnectionKey key, in TcpSegment syn, ListenerState listener, long now)
    {
        var limits = transport.Limits;
        // At a limit a SYN is refused out loud, never dropped silently: the client learns at once.
        if (transport.Table.Count >= limits.MaxConnections)
        {
            RefuseAtLimit(key, syn, DropReason.ConnectionLimit);
            return false;
        }
        if (!listener.SynQueueFull && transport.HalfOpen < limits.MaxHalfOpen) return true;
        if (!limits.SynCookies)
        {
            RefuseAtLimit(key, syn, DropReason.SynQueueFull);
            return false;
        }
        uint cookie = Cookies.Make(key, syn.Seq, syn.Options.Mss, now, out _);
        var options = SynCookies.EncodeOptions(syn.Options.HasWindowScale ? syn.Options.WindowScale : -1, syn.Options.SackPermitted);
        uint tsVal = SynCookies.TsValFor((uint)(now / TimeSpan.TicksPerMillisecond), options);
        transport.Transmit(key, TcpStep.SynCookieSynAck(syn, cookie, tsVal, transport.Config));
        listener.LastCookieAt = now;
        transport.Counters.SynCookieSent();
        return false;
    }

    private ConnectionState? AdmitCookieAck(ConnectionKey key, in TcpSegment ack, long now)
    {
        int peerWindowShift = -1;
        bool sackPermitted = false;
        if (!Cookies.TryValidate(key, ack.Seq - 1, (ack.Ack - 1).Value, now, out int mss)
            || (ack.Options.HasTimestamps && !SynCookies.TryDecodeOptions(ack.Options.TsEcr, out peerWindowShift, out sackPermitted)))
        {
            transport.Counters.SynCookieRejected();
            RefuseStatelessly(key, ack, DropReason.BadSynCookie);
            return null;
        }
        if (transport.Table.Count >= transport.Limits.MaxConnections)
        {
            RefuseAtLimit(key, ack, DropReason.ConnectionLimit);
            return null;
        }
        transport.Counters.SynCookieAccepted();
        return new ConnectionState(transport, key)
        {
            Cookie = new SynCookieOptions(mss, ack.Options.HasTimestamps && transport.Config.Timestamps, peerWindowShift, sackPermitted),
        };
    }

    /// <summary>A SYN (or a cookie's ACK) the stack has no room for: a RST, counted.</summary>
    private void RefuseAtLimit(ConnectionKey key, in TcpSegment seg, DropReason reason)
    {
        transport.Counters.SynRefusedAtLimit();
        RefuseStatelessly(key, seg, reason);
    }

    /// <summary>RFC 9293 §3.10.7.1 for a segment that found nothing: a RST unless it is one, and no state.</summary>
    private void RefuseStatelessly(ConnectionKey key, in TcpSegment seg, DropReason reason)
    {
        transport.Drops.Increment(reason);
        if (!TcpStep.ResetForClosedPort(seg, out var reset)) return;
        transport.Transmit(key, reset);
        transport.Counters.StatelessReset();
    }

    private void AdmitIcmpError(in TcpInput input, IObserver<TcpInput> downstream)
    {
        if (!transport.Table.TryGetState(input.Key, out var state) || state.Tcb is null)
        {
            transport.Drops.Increment(DropReason.IcmpNoConnection);
            return;
        }
        transport.NetworkCounters.IcmpErrorReceived();
        if (input.IcmpCode != UnreachableCode.FragmentationNeeded) return;
        transport.Counters.PathMtuUpdate();
        downstream.OnNext(input);
    }

    private void AdmitCommand(in TcpInput input, IObserver<TcpInput> downstream)
    {
        var target = input.Target!;
        bool live = transport.Table.TryGetState(input.Key, out var current);
        if (input.Command == ConnectionCommand.Connect)
        {
            if (live)
            {
                target.Reject(input);
                return;
            }
            if (transport.Table.Count >= transport.Limits.MaxConnections)
            {
                transport.Counters.ConnectRefusedAtLimit();
                target.Refuse(new TcpException(TcpError.Aborted,
                    $"The stack already holds {transport.Limits.MaxConnections} connections (StackLimits.MaxConnections); no new connection was attempted."));
                return;
            }
            downstream.OnNext(input);
            return;
        }
        if (!live || !ReferenceEquals(current, target))
        {
            // An abort of a connection that has moved to TIME-WAIT ends it there, as it did in the block.
            if (input.Command == ConnectionCommand.Abort && transport.TimeWait.TryGet(input.Key, out var timeWait)
                && target.Facade is { } facade && ReferenceEquals(timeWait.Facade, facade))
                transport.TimeWait.Step(timeWait, TcpEvent.Of(TcpEventKind.Abort));
            else target.Reject(input);
            return;
        }
        downstream.OnNext(input);
    }
}
