using System.Reactive.Concurrency;
using BenchmarkDotNet.Attributes;
using Reactive.Tcp.Links;
using Reactive.Tcp.Wire;

namespace RxTcp.Benchmarks;

/// <summary>
/// One data segment through the whole pipeline, steady-state bulk transfer: each invocation sends
/// 512 × 1460 bytes client → server between two stacks (see <see cref="PipelineRig"/>) and runs the
/// virtual scheduler until the server's reader has them, so figures are per 1460-byte data segment
/// delivered (its ACK, the wire, the scheduler and both stacks included).
/// Baseline: the same transfer with the same step, parser and builder but no Rx, hosts, wire or
/// scheduler (<see cref="BareStepRig"/>). "Wire only" carries prebuilt packets (512 data one way,
/// 512 ACKs back, one burst each) over the virtual wire, with no stack at either end.
/// </summary>
[Config(typeof(BenchConfig))]
public class PipelineBenchmarks
{
    public const int Segments = 512;

    /// <summary>Payload of a full segment: MSS 1460 less the 12-byte timestamps option both stacks negotiate.</summary>
    public const int SegmentPayload = 1448;
    public const int Bytes = SegmentPayload * Segments;

    private PipelineRig _pipeline = null!;
    private BareStepRig _bare = null!;
    private HistoricalScheduler _wireClock = null!;
    private VirtualWire _wire = null!;
    private byte[] _dataPacket = [];
    private byte[] _ackPacket = [];
    private long _wireDelivered;

    [GlobalSetup(Target = nameof(Pipeline))]
    public void SetupPipeline()
    {
        _pipeline = new PipelineRig(Bytes);
        for (int i = 0; i < 20; i++) _pipeline.Transfer(Bytes);
        Console.WriteLine("// Pipeline: " + _pipeline.Describe(Bytes));
    }

    [GlobalSetup(Target = nameof(BareStep))]
    public void SetupBare()
    {
        _bare = new BareStepRig(Bytes);
        for (int i = 0; i < 20; i++) _bare.Transfer(Bytes);
    }

    [GlobalSetup(Target = nameof(WireOnly))]
    public void SetupWire()
    {
        _wireClock = new HistoricalScheduler(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _wire = new VirtualWire(_wireClock);
        _wire.EndB.Inbound.Subscribe(_ => _wireDelivered++);
        _wire.EndA.Inbound.Subscribe(_ => _wireDelivered++);
        var data = CodecBenchmarks.DataSegment(new byte[1460]);
        data.Options = default;
        _dataPacket = PacketBuilder.BuildTcp(PipelineRig.ClientAddress, PipelineRig.ServerAddress, data);
        _ackPacket = PacketBuilder.BuildTcp(PipelineRig.ServerAddress, PipelineRig.ClientAddress, new TcpSegment { SourcePort = 80, DestinationPort = 40000, Flags = TcpFlags.Ack, Window = 2048 });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pipeline?.Dispose();
        _wire?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Segments, Description = "Same work, no Rx/host/wire (parse+step+BuildTcp)")]
    public long BareStep() => _bare.Transfer(Bytes);

    [Benchmark(OperationsPerInvoke = Segments, Description = "Whole pipeline: 2 stacks, VirtualWire, HistoricalScheduler")]
    public long Pipeline() => _pipeline.Transfer(Bytes);

    [Benchmark(OperationsPerInvoke = Segments, Description = "Wire only: data + ACK packet, no stacks")]
    public long WireOnly()
    {
        for (int i = 0; i < Segments; i++) _wire.EndB.Send(_dataPacket);
        for (int i = 0; i < Segments; i++) _wire.EndA.Send(_ackPacket);
        _wireClock.AdvanceBy(TimeSpan.FromTicks(1));
        return _wireDelivered;
    }
}
