using System.Buffers.Binary;
using System.Text;
using System.Xml.Linq;
using Reactive.Tcp.Diagnostics.Rendering;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Marbles;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Diagnostics;

public sealed class TraceRenderingTests
{
    private static readonly TraceEndpoint Server = new(CapturedExchange.ServerAddress, CapturedExchange.Port);

    [Fact]
    public void A_one_point_capture_groups_the_exchange_into_one_connection_with_relative_numbers()
    {
        var trace = TcpTrace.Read(new MemoryStream(CapturedExchange.Record(bothSides: false)));

        var connection = Assert.Single(trace.Connections);
        Assert.Equal(0, trace.SkippedPackets);
        Assert.Equal(Server, connection.Local);            // the side that answered the SYN
        Assert.Equal(CapturedExchange.ClientAddress, connection.Remote.Address);
        Assert.Equal((5000u, 1000u), (connection.LocalIsn, connection.RemoteIsn));
        Assert.Equal(trace.PacketCount, connection.Segments.Count);
        Assert.All(connection.Segments, s => Assert.Null(s.Arrival));

        var syn = connection.Segments[0];
        Assert.False(syn.FromLocal);
        Assert.Equal(TcpFlags.Syn, syn.Segment.Flags);
        Assert.Equal(0u, connection.Relative(syn).Seq.Value);
        var hello = connection.Segments.Single(s => !s.FromLocal && s.Length > 0);
        Assert.Equal("hello", Encoding.ASCII.GetString(hello.Segment.Payload.Span));
        Assert.Equal((1u, 1u), (connection.Relative(hello).Seq.Value, connection.Relative(hello).Ack.Value));
    }

    [Fact]
    public void A_capture_of_both_links_pairs_each_packet_sent_with_its_delivery()
    {
        var one = TcpTrace.Read(new MemoryStream(CapturedExchange.Record(bothSides: false))).Connections.Single();
        var trace = TcpTrace.Read(new MemoryStream(CapturedExchange.Record(bothSides: true)));

        Assert.Equal(2 * one.Segments.Count, trace.PacketCount);
        var connection = Assert.Single(trace.Connections);
        Assert.Equal(one.Segments.Count, connection.Segments.Count);
        // The wire delays each packet by exactly 1 ms.
        Assert.All(connection.Segments, s => Assert.Equal(s.Time + TimeSpan.FromMilliseconds(1), s.Arrival));
    }

    [Fact]
    public void Inferred_states_follow_the_handshake_and_the_close()
    {
        var connection = TcpTrace.Read(new MemoryStream(CapturedExchange.Record(bothSides: true))).Connections.Single();

        // The server (local) closes first once it has answered; the client follows from CLOSE-WAIT.
        Assert.Equal(
            [TcpState.Listen, TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.TimeWait],
            connection.States.Where(s => s.Local).Select(s => s.State));
        Assert.Equal(
            [TcpState.Closed, TcpState.SynSent, TcpState.Established, TcpState.CloseWait, TcpState.LastAck, TcpState.Closed],
            connection.States.Where(s => !s.Local).Select(s => s.State));
        Assert.True(connection.StatesInferred);
    }

    [Fact]
    public void The_marble_diagram_is_a_scenario_the_marble_parser_reads_back()
    {
        var connection = TcpTrace.Read(new MemoryStream(CapturedExchange.Record(bothSides: true))).Connections.Single();
        string text = MarbleDiagram.Render(connection, "test capture");

        var scenario = MarbleParser.Parse(text, "rendered");
        Assert.Equal((CapturedExchange.ServerAddress, CapturedExchange.Port), (scenario.LocalAddress, scenario.LocalPort));
        Assert.Equal(TimeSpan.FromMilliseconds(1).Ticks, scenario.Frame);

        // What the remote side sent, at the instant it reached the local side: SYN at 1 ms, ACK and "hello" at 3 ms, ACK and FIN at 5 ms.
        var inLane = scenario.In.Events.Select(e => (e.Time / TimeSpan.TicksPerMillisecond, string.Concat(e.Symbols.Select(c => TcpSegment.FormatFlags(scenario.Segments[c].Flags))))).ToList();
        Assert.Equal([(1L, "[S]"), (3L, "[.][P.]"), (5L, "[.][F.]")], inLane);
        var outLane = scenario.Out.Events.Select(e => (e.Time / TimeSpan.TicksPerMillisecond, string.Concat(e.Symbols.Select(c => TcpSegment.FormatFlags(scenario.Segments[c].Flags))))).ToList();
        Assert.Equal([(1L, "[S.]"), (3L, "[.][P.][F.]"), (5L, "[.]")], outLane);

        var hello = scenario.Segments.Values.Single(d => d.Payload is { Length: 5 } p && p[0] == (byte)'h');
        Assert.Equal((1u, 1u), (hello.Seq, hello.Ack));
        var synAck = scenario.Segments['s'];
        Assert.Equal((0u, 1u), (synAck.Seq, synAck.Ack));
        Assert.Equal(1460, synAck.Options!.Value.Mss);

        Assert.Equal("L R E1 2T", string.Join(" ", scenario.State.Events.Select(e => new string(e.Symbols.ToArray()))));
        Assert.Contains("#   D 0.002000 IP 192.0.2.2.", text, StringComparison.Ordinal);
        Assert.Contains(": Flags [P.], seq 1:6, ack 1, win 32768, options [TS val 2 ecr 1], length 5  (arrived 0.003000)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_svg_is_well_formed_self_contained_and_has_one_arrow_per_segment()
    {
        var connection = TcpTrace.Read(new MemoryStream(CapturedExchange.Record(bothSides: false))).Connections.Single();
        string svg = SequenceSvg.Render(connection);

        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", doc.Root!.Name);
        var arrows = doc.Descendants(ns + "line").Where(l => l.Attribute("marker-end") is not null && (double)l.Attribute("y1")! > 90).ToList();
        Assert.Equal(connection.Segments.Count + 5, arrows.Count); // plus the five in the key
        Assert.DoesNotContain("href", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<image", svg, StringComparison.Ordinal);
        Assert.Contains("LISTEN \u2192 SYN-RECEIVED", svg, StringComparison.Ordinal);
        Assert.Contains("[P.] seq 1:6 ack 1 win 32768 len 5", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Ethernet_big_endian_nanosecond_captures_are_read_too()
    {
        // One SYN in an Ethernet frame, written as a big-endian, nanosecond-resolution pcap.
        var ip = PacketBuilder.BuildTcp(IPv4Address.Parse("198.51.100.1"), IPv4Address.Parse("198.51.100.2"),
            new TcpSegment { SourcePort = 40000, DestinationPort = 443, Seq = new SeqNum(77), Flags = TcpFlags.Syn, Window = 1000 });
        var frame = new byte[14 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        ip.CopyTo(frame, 14);
        var file = new MemoryStream();
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0xa1b23c4d);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(20), 1);
        file.Write(header);
        var record = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(record, 1_700_000_000);
        BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(4), 123_456_700);
        BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(8), (uint)frame.Length);
        BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(12), (uint)frame.Length);
        file.Write(record);
        file.Write(frame);
        file.Position = 0;

        var trace = TcpTrace.Read(file);
        var connection = Assert.Single(trace.Connections);
        Assert.Equal(new TraceEndpoint(IPv4Address.Parse("198.51.100.2"), 443), connection.Local);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_567), connection.Start);
        Assert.Equal(77u, connection.RemoteIsn);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 }, "not a pcap magic number")]
    [InlineData(new byte[] { 0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0 }, "pcapng")]
    [InlineData(new byte[] { 0xd4, 0xc3, 0xb2 }, "shorter than a pcap header")]
    public void Garbled_files_get_a_clear_error(byte[] bytes, string expected)
    {
        var e = Assert.Throws<PcapFormatException>(() => TcpTrace.Read(new MemoryStream(bytes)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_cut_inside_a_record_says_where()
    {
        var bytes = CapturedExchange.Record(bothSides: false);
        var e = Assert.Throws<PcapFormatException>(() => TcpTrace.Read(new MemoryStream(bytes[..^5])));
        Assert.Contains("cut short", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_lossy_exchange_draws_every_segment_including_resends(bool bothSides)
    {
        var trace = TcpTrace.Read(new MemoryStream(CapturedExchange.Record(bothSides, loss: 0.3)));
        var connection = Assert.Single(trace.Connections);
        var seqs = connection.Segments.Where(s => s.SequenceLength > 0).Select(s => (s.FromLocal, s.Segment.Seq.Value, s.Segment.Flags)).ToList();
        Assert.True(seqs.Count > seqs.Distinct().Count(), "30% loss should have caused at least one resend; the test would test nothing");
        if (bothSides)
        {
            // Delivered segments are paired with their arrival; lost ones were only ever seen sent.
            Assert.Contains(connection.Segments, s => s.Arrival is not null);
            Assert.Contains(connection.Segments, s => s.Arrival is null);
        }

        string marble = MarbleDiagram.Render(connection);
        var legend = marble.Split('\n').Count(l => l.StartsWith("#   ", StringComparison.Ordinal));
        Assert.Equal(connection.Segments.Count, legend);
        var scenario = MarbleParser.Parse(marble, "lossy");
        Assert.Equal(connection.Segments.Count, scenario.In.Events.Sum(e => e.Symbols.Count) + scenario.Out.Events.Sum(e => e.Symbols.Count));

        var svg = XDocument.Parse(SequenceSvg.Render(connection));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(connection.Segments.Count + 5, svg.Descendants(ns + "line").Count(l => l.Attribute("marker-end") is not null));
        // The retransmission timeout leaves a long gap, which the picture writes out.
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value.EndsWith(" later", StringComparison.Ordinal));
    }
}
