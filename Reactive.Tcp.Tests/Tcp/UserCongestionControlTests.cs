using System.Reactive.Linq;
using Reactive.Tcp.Links;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Stack;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Tcp;

/// <summary>
/// A congestion controller written outside the library, as a user would: given to
/// <see cref="TcpConfig.CongestionControl"/>, it governs what two stacks over the virtual wire
/// keep in flight.
/// </summary>
public class UserCongestionControlTests
{
    /// <summary>A window of a fixed number of segments, whatever the network does; counts its callbacks.</summary>
    private sealed class FixedWindow(int segments) : ICongestionControl
    {
        public int Starts, Acks, CongestionEvents, Timeouts;
        public long AckedBytes;

        public string Name => "fixed";

        public void Start(ICongestionContext connection, long now)
        {
            Starts++;
            connection.Cwnd = (long)segments * connection.Mss;
        }

        public void OnAck(ICongestionContext connection, long ackedBytes, long now)
        {
            Acks++;
            AckedBytes += ackedBytes;
            Assert.True(connection.SndUna <= connection.SndNxt && connection.SndNxt <= connection.SndMax);
            Assert.InRange(connection.BytesInFlight, 0, connection.Cwnd);
            Assert.True(connection.SmoothedRtt > 0, "an ACK of data comes after an RTT sample");
        }

        public void OnCongestionEvent(ICongestionContext connection, long now) => CongestionEvents++;

        public void OnRetransmissionTimeout(ICongestionContext connection, long now) => Timeouts++;
    }

    /// <summary>
    /// A link decorator that measures, on the wire, the most payload bytes its stack had in flight:
    /// the end of the highest data it sent less the highest acknowledgment that had reached it.
    /// </summary>
    private sealed class FlightMeter : ILink
    {
        private readonly ILink _inner;
        private SeqNum? _sentEnd;
        private SeqNum? _acked;

        public FlightMeter(ILink inner)
        {
            _inner = inner;
            Inbound = inner.Inbound.Do(OnArrival);
        }

        public int MaxFlight { get; private set; }
        public int DataSegments { get; private set; }
        public IObservable<ReadOnlyMemory<byte>> Inbound { get; }
        public int Mtu => _inner.Mtu;

        public void Send(ReadOnlyMemory<byte> packet)
        {
            OnSend(packet);
            _inner.Send(packet);
        }

        public void Send(PooledPacket packet)
        {
            OnSend(packet.Memory); // read before handing the reference on
            _inner.Send(packet);
        }

        public void Dispose() => _inner.Dispose();

        private void OnSend(ReadOnlyMemory<byte> frame)
        {
            if (PacketParser.Parse(frame, out var p) != DropReason.None || p.Kind != PacketKind.Tcp || p.Tcp.Payload.Length == 0) return;
            DataSegments++;
            var end = p.Tcp.Seq + p.Tcp.Payload.Length;
            if (_sentEnd is not { } sent || end > sent) _sentEnd = end;
            if (_acked is { } acked) MaxFlight = Math.Max(MaxFlight, _sentEnd.Value - acked);
        }

        private void OnArrival(ReadOnlyMemory<byte> frame)
        {
            if (PacketParser.Parse(frame, out var p) != DropReason.None || p.Kind != PacketKind.Tcp || !p.Tcp.Has(TcpFlags.Ack)) return;
            if (_acked is not { } acked || p.Tcp.Ack > acked) _acked = p.Tcp.Ack;
        }
    }

    private static (FlightMeter Server, FlightMeter Client) Run(TcpConfig config)
    {
        FlightMeter? server = null, client = null;
        using var h = new TwoStackHarness(config: config,
            wrapServer: (link, _) => server = new FlightMeter(link),
            wrapClient: (link, _) => client = new FlightMeter(link));
        var (s, c) = h.Transfer(200_000, 120_000, seed: 11);
        Assert.Null(s.Error);
        Assert.Null(c.Error);
        Assert.Equal(c.SentHash, s.ReceivedHash);
        Assert.Equal(s.SentHash, c.ReceivedHash);
        return (server!, client!);
    }

    [Fact]
    public void A_user_written_fixed_window_governs_both_stacks_over_the_virtual_wire()
    {
        const int Segments = 3;
        var made = new List<FixedWindow>();
        var config = TcpConfig.Default with { CongestionControl = () => { var c = new FixedWindow(Segments); made.Add(c); return c; } };
        var (server, client) = Run(config);

        // One controller per connection end that sent data, each started once and told of every ACK.
        Assert.Equal(2, made.Count);
        Assert.All(made, c => Assert.Equal(1, c.Starts));
        Assert.All(made, c => Assert.True(c.Acks > 10, $"{c.Acks} ACKs reported"));
        Assert.Equal(320_000 + 2, made.Sum(c => c.AckedBytes)); // every byte, and each FIN, acknowledged once
        Assert.All(made, c => Assert.Equal(0, c.Timeouts + c.CongestionEvents)); // a clean wire

        // On the wire, neither stack ever had more in flight than the controller's window allows.
        int window = Segments * (config.Mtu - 40);
        Assert.InRange(server.MaxFlight, 1, window);
        Assert.InRange(client.MaxFlight, 1, window);
        Assert.True(server.DataSegments > 100 && client.DataSegments > 50);
    }

    [Fact]
    public void The_same_transfer_under_the_default_controller_keeps_more_in_flight_than_that_window()
    {
        // The flight measured above could have been larger: without the user's controller it is.
        var (server, client) = Run(TcpConfig.Default);
        int window = 3 * (TcpConfig.Default.Mtu - 40);
        Assert.True(server.MaxFlight > window, $"server flight {server.MaxFlight}");
        Assert.True(client.MaxFlight > window, $"client flight {client.MaxFlight}");
    }

    [Fact]
    public void The_controller_contract_reaches_only_public_types()
    {
        // What a type in another assembly (without InternalsVisibleTo) needs in order to implement
        // ICongestionControl: the interfaces and every type in their signatures are public.
        foreach (var contract in new[] { typeof(ICongestionControl), typeof(ICongestionContext) })
        {
            Assert.True(contract.IsPublic && contract.IsInterface, contract.Name);
            foreach (var method in contract.GetMethods())
            {
                Assert.True(method.ReturnType.IsVisible, $"{contract.Name}.{method.Name} returns {method.ReturnType}");
                Assert.All(method.GetParameters(), p => Assert.True(p.ParameterType.IsVisible, $"{contract.Name}.{method.Name}({p.ParameterType})"));
            }
            foreach (var property in contract.GetProperties())
                Assert.True(property.PropertyType.IsVisible, $"{contract.Name}.{property.Name}");
        }
        Assert.True(typeof(TcpConfig).GetProperty(nameof(TcpConfig.CongestionControl))!.SetMethod!.IsPublic);
        Assert.True(typeof(NewReno).IsPublic && typeof(Cubic).IsPublic);
        Assert.Contains(typeof(ICongestionControl), typeof(Cubic).GetInterfaces());
        Assert.Contains(typeof(ICongestionControl), typeof(NewReno).GetInterfaces());
    }
}
