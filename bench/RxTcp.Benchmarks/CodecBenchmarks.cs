using BenchmarkDotNet.Attributes;
using Reactive.Tcp.Wire;

namespace RxTcp.Benchmarks;

/// <summary>
/// IPv4 + TCP parse and write of one data segment as Linux sends it in bulk: 1460 bytes of payload,
/// ACK|PSH, and the timestamps option (NOP NOP TS, 12 bytes), so a 1512-byte packet. Parse
/// validates both checksums; write computes them.
/// </summary>
[Config(typeof(BenchConfig))]
public class CodecBenchmarks
{
    public static readonly IPv4Address Source = IPv4Address.Parse("192.0.2.2");
    public static readonly IPv4Address Destination = IPv4Address.Parse("192.0.2.1");

    private TcpSegment _segment;
    private byte[] _frame = [];
    private byte[] _buffer = [];

    public static TcpSegment DataSegment(ReadOnlyMemory<byte> payload)
    {
        var segment = new TcpSegment
        {
            SourcePort = 40000,
            DestinationPort = 80,
            Seq = new SeqNum(0x1234_5678),
            Ack = new SeqNum(0x9ABC_DEF0),
            Flags = TcpFlags.Ack | TcpFlags.Psh,
            Window = 501,
            Payload = payload,
        };
        segment.Options.HasTimestamps = true;
        segment.Options.TsVal = 123_456_789;
        segment.Options.TsEcr = 987_654_321;
        return segment;
    }

    [GlobalSetup]
    public void Setup()
    {
        var payload = new byte[1460];
        new Random(7).NextBytes(payload);
        _segment = DataSegment(payload);
        _frame = PacketBuilder.BuildTcp(Source, Destination, _segment);
        _buffer = new byte[_frame.Length];
        if (PacketParser.Parse(_frame, out var packet) != DropReason.None || packet.Tcp.Payload.Length != 1460 || !packet.Tcp.Options.HasTimestamps)
            throw new InvalidOperationException("The benchmark frame does not parse back.");
    }

    [Benchmark(Baseline = true, Description = "WriteTcp (reused buffer)")]
    public int Write() => PacketBuilder.WriteTcp(_buffer, Source, Destination, _segment);

    [Benchmark(Description = "BuildTcp (new byte[])")]
    public byte[] Build() => PacketBuilder.BuildTcp(Source, Destination, _segment);

    [Benchmark(Description = "PacketParser.Parse")]
    public uint Parse()
    {
        var reason = PacketParser.Parse(_frame, out var packet);
        return packet.Tcp.Seq.Value + (uint)reason;
    }
}
