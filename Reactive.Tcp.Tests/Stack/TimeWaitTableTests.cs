using System.Reactive.Linq;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Transport;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>
/// TIME-WAIT as small records apart from the live connections (issue 12): a server that closes
/// first holds one per connection for 2 MSL, and they never keep a new connection out.
/// </summary>
public class TimeWaitTableTests
{
    private static readonly IPv4Address ServerAddress = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address ClientAddress = IPv4Address.Parse("192.0.2.2");
    private const long Ms = TimeSpan.TicksPerMillisecond;

    private sealed class Rig : IDisposable
    {
        public readonly TestScheduler Scheduler = new();
        public readonly VirtualWire Wire;
        public readonly TcpStack Server, Client;
        public int Served, Completed, Failed;
        public Exception? LastError;

        public Rig(StackLimits? serverLimits = null, TcpConfig? config = null)
        {
            Wire = new VirtualWire(Scheduler, new VirtualWireOptions { AToB = new Impairments { Delay = TimeSpan.FromMilliseconds(1) }, BToA = new Impairments { Delay = TimeSpan.FromMilliseconds(1) } });
            var tcp = config ?? TcpConfig.Default;
            Server = new TcpStack(Wire.EndA, new TcpStackOptions { Address = ServerAddress, Tcp = tcp, Seed = 1, Limits = serverLimits ?? StackLimits.Default }, Scheduler);
            Client = new TcpStack(Wire.EndB, new TcpStackOptions { Address = ClientAddress, Tcp = tcp, Seed = 2 }, Scheduler);
            // The server answers each request byte with one byte and closes first, as an HTTP/1.0 server does.
            Server.Listen(80).Subscribe(c =>
            {
                c.Received.Take(1).Subscribe(_ =>
                {
                    c.Send(new byte[] { 42 }).Subscribe(_ => { }, _ => { }, () => { Served++; c.Close(); });
                }, _ => { });
            });
        }

        /// <summary>One request: connect, send a byte, read until the server's FIN, close.</summary>
        public void Request()
        {
            Client.Connect(ServerAddress, 80).Subscribe(c =>
            {
                c.Received.Subscribe(_ => { }, e => { Failed++; LastError = e; }, () => { Completed++; c.Close(); });
                c.Send(new byte[] { 1 }).Subscribe(_ => { }, _ => { });
            }, e => { Failed++; LastError = e; });
        }

        public void Dispose()
        {
            Server.Dispose();
            Client.Dispose();
            Wire.Dispose();
        }
    }

    [Fact]
    public void Ten_thousand_server_closed_connections_go_through_one_stack_with_no_refusal()
    {
        const int Count = 10_000;
        using var rig = new Rig();
        // A new connection every 2 ms: 10,000 take 20 s, far inside 2 MSL (240 s), so every one of
        // them is still in TIME-WAIT on the server at the end, well past the 4,096 connection limit.
        for (int i = 0; i < Count; i++)
        {
            rig.Scheduler.ScheduleAbsolute(rig, i * 2 * Ms, static (_, r) => { r.Request(); return System.Reactive.Disposables.Disposable.Empty; });
        }
        rig.Scheduler.AdvanceTo((Count * 2 + 500) * Ms);

        Assert.True(rig.Failed == 0, $"{rig.Failed} failed: {rig.LastError?.Message}");
        Assert.True(Count == rig.Served && Count == rig.Completed, $"served {rig.Served}, completed {rig.Completed}; server {rig.Server.ConnectionCount} live, {rig.Server.TimeWaitCount} in TIME-WAIT, drops {rig.Server.Drops}, reused {rig.Server.Counters.TimeWaitReused}; client {rig.Client.ConnectionCount} live, drops {rig.Client.Drops}; faults {rig.Server.Counters.PipelineFaults}/{rig.Client.Counters.PipelineFaults}");
        Assert.Equal(rig.Server.TimeWaitCount, rig.Server.ConnectionCount);
        // The client's random ephemeral ports come round again: a SYN from a port whose last
        // connection is still in TIME-WAIT takes the 4-tuple over (its timestamp is newer).
        Assert.True(rig.Server.Counters.TimeWaitReused > 0);
        Assert.Equal(Count, rig.Server.TimeWaitCount + rig.Server.Counters.TimeWaitReused);
        Assert.True(rig.Server.TimeWaitCount > rig.Server.Options.Limits.MaxConnections);
        Assert.Equal(0, rig.Server.Drops[DropReason.ConnectionLimit]);
        Assert.Equal(0, rig.Server.Counters.SynsRefusedAtLimit);
        Assert.Equal(0, rig.Server.Counters.PipelineFaults);

        // 2 MSL later every record is gone, and its row with it.
        rig.Scheduler.AdvanceBy(TimeSpan.FromSeconds(241).Ticks);
        Assert.Equal(0, rig.Server.TimeWaitCount);
        Assert.Equal(0, rig.Server.Connections.Count);
    }

    [Fact]
    public void Beyond_the_time_wait_bound_a_closing_connection_skips_time_wait_and_is_counted()
    {
        using var rig = new Rig(StackLimits.Default with { MaxTimeWait = 5 });
        for (int i = 0; i < 8; i++) rig.Scheduler.ScheduleAbsolute(rig, (i * 10 + 1) * Ms, static (_, r) => { r.Request(); return System.Reactive.Disposables.Disposable.Empty; });
        rig.Scheduler.AdvanceTo(200 * Ms);

        Assert.Equal(0, rig.Failed);
        Assert.Equal(8, rig.Completed);
        Assert.Equal(5, rig.Server.TimeWaitCount);
        Assert.Equal(3, rig.Server.Counters.TimeWaitSkipped);
        Assert.Equal(5, rig.Server.ConnectionCount);
    }

    [Fact]
    public void A_connection_in_time_wait_is_told_closed_after_two_msl_and_its_row_leaves_then()
    {
        using var rig = new Rig();
        var states = new List<TcpState>();
        var closed = false;
        rig.Server.Listen(81).Subscribe(c =>
        {
            c.States.Subscribe(states.Add, () => closed = true);
            c.Close();
        });
        TcpConnection? client = null;
        rig.Client.Connect(ServerAddress, 81).Subscribe(c =>
        {
            client = c;
            c.Received.Subscribe(_ => { }, () => c.Close());
        });
        rig.Scheduler.AdvanceTo(100 * Ms);

        Assert.Equal(TcpState.TimeWait, states[^1]);
        Assert.False(closed);
        Assert.Equal(1, rig.Server.TimeWaitCount);
        var row = Assert.Single(rig.Server.Connections.Items);
        Assert.Equal(TcpState.TimeWait, row.State);

        rig.Scheduler.AdvanceBy(TimeSpan.FromSeconds(240).Ticks);
        Assert.True(closed);
        Assert.Equal(TcpState.Closed, states[^1]);
        Assert.Equal(0, rig.Server.TimeWaitCount);
        Assert.Empty(rig.Server.Connections.Items);
        Assert.False(rig.Server.Ports.InUse(81) && rig.Server.TimeWaitCount > 0);
    }

    [Fact]
    public void A_new_syn_with_a_newer_timestamp_takes_over_a_four_tuple_in_time_wait()
    {
        using var rig = new Rig();
        // The server closes first, so the 4-tuple sits in TIME-WAIT on the server.
        rig.Request();
        rig.Scheduler.AdvanceTo(50 * Ms);
        Assert.Equal(1, rig.Server.TimeWaitCount);
        var key = rig.Server.Connections.Items.Single().Key;
        var oldIss = rig.Server.TcbOf(key)!.Send.Iss;
        var oldSndMax = rig.Server.TcbOf(key)!.SndMax;

        // A client from the same port, later: its SYN's timestamp is newer (RFC 6191).
        var rigClientPort = key.RemotePort;
        var syn = new TcpSegment { SourcePort = rigClientPort, DestinationPort = 80, Seq = new SeqNum(77), Flags = TcpFlags.Syn, Window = 65535 };
        syn.Options.Mss = 1460;
        syn.Options.HasTimestamps = true;
        syn.Options.TsVal = (uint)(rig.Scheduler.Now.UtcTicks / Ms) + 1000;
        rig.Wire.EndB.Send(PacketBuilder.BuildTcp(ClientAddress, ServerAddress, syn));
        // Look once the SYN has arrived, before the client stack (which knows nothing of it) resets the answer.
        rig.Scheduler.AdvanceBy(Ms + Ms / 2);

        Assert.Equal(1, rig.Server.Counters.TimeWaitReused);
        Assert.Equal(0, rig.Server.TimeWaitCount);
        var reopened = rig.Server.TcbOf(key)!;
        Assert.Equal(TcpState.SynReceived, reopened.State);
        Assert.True(reopened.Send.Iss > oldSndMax, $"new ISS {reopened.Send.Iss} not above the old incarnation's {oldSndMax} (old ISS {oldIss})");
    }

    [Fact]
    public void An_old_syn_for_a_four_tuple_in_time_wait_gets_a_challenge_ack_and_time_wait_stays()
    {
        using var rig = new Rig();
        rig.Request();
        rig.Scheduler.AdvanceTo(50 * Ms);
        var key = rig.Server.Connections.Items.Single().Key;
        var tw = rig.Server.TcbOf(key)!;
        var captured = new List<ReadOnlyMemory<byte>>();
        using var tap = rig.Wire.EndB.Inbound.Subscribe(p => captured.Add(p.ToArray()));

        // An old duplicate: its sequence number is below what the old connection received, and it carries no timestamp.
        var syn = new TcpSegment { SourcePort = key.RemotePort, DestinationPort = 80, Seq = tw.RcvNxt - 10, Flags = TcpFlags.Syn, Window = 65535 };
        rig.Wire.EndB.Send(PacketBuilder.BuildTcp(ClientAddress, ServerAddress, syn));
        // Look once the answer has arrived, before the client stack (which knows nothing of it) resets it.
        rig.Scheduler.AdvanceBy(2 * Ms + Ms / 2);

        Assert.Equal(0, rig.Server.Counters.TimeWaitReused);
        Assert.Equal(1, rig.Server.TimeWaitCount);
        Assert.Equal(TcpState.TimeWait, rig.Server.StateOf(key));
        var answer = captured.Select(p => { PacketParser.Parse(p, out var pk); return pk; }).Where(p => p.Kind == PacketKind.Tcp).ToList();
        var ack = Assert.Single(answer);
        Assert.Equal(TcpFlags.Ack, ack.Tcp.Flags & (TcpFlags.Ack | TcpFlags.Syn | TcpFlags.Rst));
        Assert.Equal(tw.RcvNxt, ack.Tcp.Ack);
    }
}
