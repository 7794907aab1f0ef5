using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Transport;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Diagnostics;

/// <summary>
/// System.Diagnostics.Metrics instruments for one or more <see cref="TcpStack"/>s, on the meter
/// <see cref="MeterName"/> (<c>dotnet-counters monitor --counters Reactive.Tcp</c>). Every
/// instrument is observable: it reads the stack's own <see cref="TcpStack.Counters"/>,
/// <see cref="TcpStack.Drops"/> and <see cref="TcpStack.Connections"/> only when a listener
/// collects, so the packet path pays nothing for them. Each measurement is tagged with the
/// stack's address (<c>rxtcp.stack</c>) so several stacks in one process stay apart.
/// </summary>
public sealed class RxTcpMetrics : IDisposable
{
    /// <summary>The meter's name: <c>Reactive.Tcp</c>.</summary>
    public const string MeterName = "Reactive.Tcp";

    /// <summary>The tag carrying the stack's IPv4 address.</summary>
    public const string StackTag = "rxtcp.stack";

    /// <summary>The tag carrying a <see cref="DropReason"/> on <c>rxtcp.packets.dropped</c>.</summary>
    public const string ReasonTag = "rxtcp.drop.reason";

    /// <summary>The tag carrying a <see cref="TcpState"/> on <c>rxtcp.connections</c>.</summary>
    public const string StateTag = "rxtcp.tcp.state";

    private static readonly DropReason[] Reasons = Enum.GetValues<DropReason>().Where(r => r != DropReason.None).ToArray();
    private static readonly TcpState[] States = Enum.GetValues<TcpState>().Where(s => s is not (TcpState.Closed or TcpState.Listen)).ToArray();

    private readonly bool _ownsMeter;

    // Copy-on-write: collection runs on the listener's thread while stacks come and go.
    private ImmutableArray<(TcpStack Stack, KeyValuePair<string, object?> Tag)> _stacks = [];

    /// <summary>Creates the meter (through <paramref name="meterFactory"/> when given, as dependency injection does) and its instruments.</summary>
    public RxTcpMetrics(IMeterFactory? meterFactory = null)
    {
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _ownsMeter = meterFactory is null;

        Meter.CreateObservableCounter("rxtcp.segments.received", () => Each(s => s.Counters.SegmentsIn), "{segment}", "TCP segments received and parsed.");
        Meter.CreateObservableCounter("rxtcp.segments.sent", () => Each(s => s.Counters.SegmentsOut), "{segment}", "TCP segments sent, retransmissions included.");
        Meter.CreateObservableCounter("rxtcp.retransmissions", () => Each(s => s.Counters.Retransmissions), "{segment}", "TCP segments sent again after a timeout or as a fast retransmit.");
        Meter.CreateObservableCounter("rxtcp.bytes.delivered", () => Each(s => s.Counters.BytesDelivered), "By", "Payload bytes handed to applications.");
        Meter.CreateObservableCounter("rxtcp.connections.opened", () => Each(s => s.Counters.ConnectionsOpened), "{connection}", "Connections that reached ESTABLISHED.");
        Meter.CreateObservableCounter("rxtcp.connections.closed", () => Each(s => s.Counters.ConnectionsClosed), "{connection}", "Connection blocks that reached CLOSED, refused attempts included.");
        Meter.CreateObservableCounter("rxtcp.packets.dropped", Drops, "{packet}", "Inbound packets dropped, by reason.");
        Meter.CreateObservableUpDownCounter("rxtcp.connections", Connections, "{connection}", "Connections in the connection table, by state.");
        Meter.CreateObservableCounter("rxtcp.pipeline.faults", () => Each(s => s.Counters.PipelineFaults), "{fault}", "Exceptions caught inside a stack's pipeline.");
        Meter.CreateObservableCounter("rxtcp.syn_cookies.sent", () => Each(s => s.Counters.SynCookiesSent), "{segment}", "SYN-ACKs sent with a SYN cookie because the SYN queue was full.");
        Meter.CreateObservableCounter("rxtcp.syn_cookies.accepted", () => Each(s => s.Counters.SynCookiesAccepted), "{connection}", "Connections created from a validated SYN cookie.");
        Meter.CreateObservableUpDownCounter("rxtcp.connections.half_open", () => Each(s => (long)s.HalfOpenCount), "{connection}", "Half-open (SYN-RECEIVED) connections in the SYN queues.");
        Meter.CreateObservableCounter("rxtcp.challenge_acks.suppressed", () => Each(s => s.Counters.ChallengeAcksSuppressed), "{segment}", "Challenge ACKs not sent because the stack-wide rate limit was reached.");
    }

    /// <summary>The meter the instruments live on.</summary>
    public Meter Meter { get; }

    /// <summary>
    /// Starts reporting <paramref name="stack"/>. Disposing the result stops it (a disposed stack
    /// should be removed, or its last totals keep being reported).
    /// </summary>
    public IDisposable Add(TcpStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var entry = (stack, new KeyValuePair<string, object?>(StackTag, stack.Address.ToString()));
        ImmutableInterlocked.Update(ref _stacks, list => list.Add(entry));
        return new Removal(this, entry);
    }

    /// <summary>Disposes the meter if this object created it (a factory's meter belongs to the factory).</summary>
    public void Dispose()
    {
        if (_ownsMeter) Meter.Dispose();
    }

    private IEnumerable<Measurement<long>> Each(Func<TcpStack, long> read)
    {
        foreach (var (stack, tag) in _stacks) yield return new Measurement<long>(read(stack), tag);
    }

    private IEnumerable<Measurement<long>> Drops()
    {
        foreach (var (stack, tag) in _stacks)
        {
            foreach (var reason in Reasons)
            {
                // Reasons never seen stay out, so a scrape shows what actually happens rather than 17 zeros.
                long count = stack.Drops[reason];
                if (count != 0) yield return new Measurement<long>(count, tag, new(ReasonTag, reason.ToString()));
            }
        }
    }

    private IEnumerable<Measurement<int>> Connections()
    {
        Span<int> counts = stackalloc int[Enum.GetValues<TcpState>().Length];
        var result = new List<Measurement<int>>();
        foreach (var (stack, tag) in _stacks)
        {
            counts.Clear();
            foreach (var info in stack.Connections.Items) counts[(int)info.State]++;
            // Every state is reported, zeros too: an up-down counter that vanishes instead of
            // falling to zero would leave the last non-zero value on dashboards.
            foreach (var state in States) result.Add(new Measurement<int>(counts[(int)state], tag, new(StateTag, StateName(state))));
        }
        return result;
    }

    /// <summary>RFC 9293 spelling (<c>ESTABLISHED</c>, <c>TIME-WAIT</c>), as <c>netstat</c> and the RFC print it.</summary>
    public static string StateName(TcpState state) => state switch
    {
        TcpState.Closed => "CLOSED",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN-SENT",
        TcpState.SynReceived => "SYN-RECEIVED",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait1 => "FIN-WAIT-1",
        TcpState.FinWait2 => "FIN-WAIT-2",
        TcpState.CloseWait => "CLOSE-WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST-ACK",
        TcpState.TimeWait => "TIME-WAIT",
        _ => state.ToString(),
    };

    private sealed class Removal(RxTcpMetrics owner, (TcpStack, KeyValuePair<string, object?>) entry) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) ImmutableInterlocked.Update(ref owner._stacks, list => list.Remove(entry));
        }
    }
}
