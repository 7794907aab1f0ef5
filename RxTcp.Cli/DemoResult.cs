using Reactive.Tcp.Diagnostics;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Cli;

/// <summary>What a demo run did, read once the stacks have stopped.</summary>
public sealed class DemoResult
{
    /// <summary>The settings of the run.</summary>
    public required DemoSettings Settings { get; init; }

    /// <summary>The wall-clock (or simulated-time) limit was reached before both sides were CLOSED.</summary>
    public bool TimedOut { get; init; }

    /// <summary>The limit that applied.</summary>
    public TimeSpan Limit { get; init; }

    /// <summary>Wall time from start until both sides were CLOSED (or the run was stopped).</summary>
    public TimeSpan Wall { get; init; }

    /// <summary>Simulated time for the same span; only on the virtual clock.</summary>
    public TimeSpan? Clock { get; init; }

    /// <summary>The listening side (192.0.2.1).</summary>
    public required Endpoint Server { get; init; }

    /// <summary>The connecting side (192.0.2.2).</summary>
    public required Endpoint Client { get; init; }

    /// <summary>Why the run failed; empty when it succeeded.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            var failures = new List<string>();
            if (TimedOut) failures.Add($"not finished within {Limit.TotalSeconds:0} s (use --timeout to allow longer)");
            foreach (var (sender, receiver) in new[] { (Client, Server), (Server, Client) })
            {
                var direction = $"{sender.Name} → {receiver.Name}";
                if (receiver.BytesReceived != sender.BytesSent || sender.BytesSent != Settings.Bytes)
                    failures.Add($"{direction}: {receiver.BytesReceived} of {Settings.Bytes} bytes arrived");
                else if (!sender.SentDigest.AsSpan().SequenceEqual(receiver.ReceivedDigest))
                    failures.Add($"{direction}: SHA-256 of the received bytes differs from what was sent");
                if (!receiver.ReceiveCompleted)
                    failures.Add($"{direction}: the stream did not end with a FIN");
            }
            foreach (var side in new[] { Server, Client })
            {
                if (side.Error is { } error)
                    failures.Add($"{side.Name}: {error.Message}");
                if (!side.Connected)
                    failures.Add($"{side.Name}: no connection was established");
                else if (side.FinalState != TcpState.Closed || side.ConnectionsLeft != 0)
                    failures.Add($"{side.Name}: ended in {Describe(side.FinalState)}, not CLOSED");
                else if (side.TcpError != TcpError.None && side.Error is null)
                    failures.Add($"{side.Name}: connection ended with {side.TcpError}");
            }
            return failures;
        }
    }

    /// <summary>Both directions arrived byte-exact and both sides ended CLOSED.</summary>
    public bool Succeeded => Failures.Count == 0;

    /// <summary>A state as the RFC spells it: <c>TIME-WAIT</c>, <c>CLOSED</c>.</summary>
    public static string Describe(TcpState state) => RxTcpMetrics.StateName(state);

    /// <summary>One side's figures.</summary>
    public sealed class Endpoint
    {
        /// <summary>"server" or "client".</summary>
        public required string Name { get; init; }

        /// <summary>This side's address and port, once connected.</summary>
        public string? LocalEndPoint { get; init; }

        /// <summary>A connection was established.</summary>
        public bool Connected { get; init; }

        /// <summary>Bytes this side queued for sending.</summary>
        public long BytesSent { get; init; }

        /// <summary>Bytes this side received.</summary>
        public long BytesReceived { get; init; }

        /// <summary>SHA-256 of the bytes sent.</summary>
        public byte[] SentDigest { get; init; } = [];

        /// <summary>SHA-256 of the bytes received.</summary>
        public byte[] ReceivedDigest { get; init; } = [];

        /// <summary>The peer's FIN arrived after all its data.</summary>
        public bool ReceiveCompleted { get; init; }

        /// <summary>Wall time at which the peer's FIN arrived.</summary>
        public TimeSpan ReceiveCompletedWall { get; init; }

        /// <summary>Simulated time at which the peer's FIN arrived.</summary>
        public TimeSpan ReceiveCompletedClock { get; init; }

        /// <summary>The state the connection was last seen in.</summary>
        public TcpState FinalState { get; init; }

        /// <summary>How the connection ended, per the stack.</summary>
        public TcpError TcpError { get; init; }

        /// <summary>The first failure the application saw (connect, send, receive).</summary>
        public Exception? Error { get; init; }

        /// <summary>Connections still alive in this side's stack.</summary>
        public int ConnectionsLeft { get; init; }

        /// <summary>TCP segments the stack sent (including retransmissions).</summary>
        public long SegmentsSent { get; init; }

        /// <summary>Segments the stack sent again.</summary>
        public long Retransmissions { get; init; }

        /// <summary>Packets this side sent that the wire dropped (random loss, congestion of packets that were not ECN-capable, oversize).</summary>
        public long LostOnWire { get; init; }

        /// <summary>Packets this side sent that the wire's congested queue marked CE instead of dropping.</summary>
        public long CeMarkedOnWire { get; init; }

        /// <summary>Inbound packets the stack dropped (bad checksum, unacceptable segment…).</summary>
        public long DroppedByStack { get; init; }

        /// <summary>The stack's drop counters by reason, e.g. <c>Unacceptable=3</c>.</summary>
        public string DropReasons { get; init; } = "";

        /// <summary>Exceptions caught inside the stack's pipeline (should be 0).</summary>
        public long PipelineFaults { get; init; }

        internal static Endpoint From(DemoSide side, TcpStack stack, WireCounters outbound) => new()
        {
            Name = side.Name,
            LocalEndPoint = side.Connection is { } c ? $"{c.Key.LocalAddress}:{c.Key.LocalPort}" : null,
            Connected = side.Connection is not null,
            BytesSent = side.BytesQueued,
            BytesReceived = side.BytesReceived,
            SentDigest = side.SentDigest,
            ReceivedDigest = side.ReceivedDigest,
            ReceiveCompleted = side.ReceiveCompleted,
            ReceiveCompletedWall = side.ReceiveCompletedWall,
            ReceiveCompletedClock = side.ReceiveCompletedClock,
            FinalState = side.Connection?.State ?? TcpState.Closed,
            TcpError = side.Connection?.Error ?? TcpError.None,
            Error = side.Error,
            ConnectionsLeft = stack.ConnectionCount,
            SegmentsSent = stack.Counters.SegmentsOut,
            Retransmissions = stack.Counters.Retransmissions,
            LostOnWire = outbound.Lost + outbound.Oversize + outbound.CongestionDropped,
            CeMarkedOnWire = outbound.Marked,
            DroppedByStack = stack.Drops.Total,
            DropReasons = stack.Drops.ToString(),
            PipelineFaults = stack.Counters.PipelineFaults,
        };
    }
}
