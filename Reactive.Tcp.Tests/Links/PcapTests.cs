using System.Buffers.Binary;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Links;
using Xunit;
using Reactive.Tcp.Diagnostics;
using static Reactive.Tcp.Tests.Links.PacketHelpers;

namespace Reactive.Tcp.Tests.Links;

public sealed class PcapTests
{
    private sealed record PcapRecord(uint Seconds, uint Microseconds, uint Included, uint Original, byte[] Data);

    // An independent reader of the classic format, so the test checks bytes rather than the writer's own constants.
    private static List<PcapRecord> Parse(byte[] file)
    {
        Assert.True(file.Length >= 24);
        Assert.Equal(0xa1b2c3d4u, BinaryPrimitives.ReadUInt32LittleEndian(file));
        Assert.Equal([0xd4, 0xc3, 0xb2, 0xa1], file[..4]);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(4)));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(6)));
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(8)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(12)));
        Assert.Equal(65535u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(16)));
        Assert.Equal(101u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20)));

        var records = new List<PcapRecord>();
        var offset = 24;
        while (offset < file.Length)
        {
            var h = file.AsSpan(offset, 16);
            var included = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
            records.Add(new PcapRecord(
                BinaryPrimitives.ReadUInt32LittleEndian(h),
                BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                included,
                BinaryPrimitives.ReadUInt32LittleEndian(h[12..]),
                file.AsSpan(offset + 16, (int)included).ToArray()));
            offset += 16 + (int)included;
        }

        Assert.Equal(file.Length, offset);
        return records;
    }

    [Fact]
    public void Writes_the_global_header_and_one_record_per_packet()
    {
        var stream = new MemoryStream();
        var at = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)).AddTicks(1_234_567);
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.Write(Packet(1, 40), at);
            writer.Write(Packet(2, 1500), at.AddMilliseconds(1.5));
            writer.Write(ReadOnlySpan<byte>.Empty, at.AddSeconds(2));
            Assert.Equal(3, writer.PacketCount);
        }

        var records = Parse(stream.ToArray());
        Assert.Equal(3, records.Count);

        var unix = (uint)at.ToUnixTimeSeconds();
        Assert.Equal(new PcapRecord(unix, 123_456, 40, 40, Packet(1, 40)).ToString(), records[0].ToString());
        Assert.Equal(Packet(1, 40), records[0].Data);
        Assert.Equal((unix, 124_956u), (records[1].Seconds, records[1].Microseconds));
        Assert.Equal((1500u, 1500u), (records[1].Included, records[1].Original));
        Assert.Equal(Packet(2, 1500), records[1].Data);
        Assert.Equal((unix + 2, 123_456u, 0u, 0u), (records[2].Seconds, records[2].Microseconds, records[2].Included, records[2].Original));
    }

    [Fact]
    public void Truncates_to_the_snap_length_and_keeps_the_original_length()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.Write(new byte[70_000], DateTimeOffset.UnixEpoch);
        }

        var record = Assert.Single(Parse(stream.ToArray()));
        Assert.Equal(65535u, record.Included);
        Assert.Equal(70_000u, record.Original);
    }

    [Fact]
    public void Virtual_time_maps_onto_the_epoch()
    {
        var scheduler = new TestScheduler();
        scheduler.AdvanceTo(TimeSpan.FromSeconds(3).Ticks + Ms(250.5));
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.Write(Packet(1), scheduler.Now);
        }

        var record = Assert.Single(Parse(stream.ToArray()));
        Assert.Equal((3u, 250_500u), (record.Seconds, record.Microseconds));
    }

    [Fact]
    public void Writes_to_a_file_and_flushes_on_dispose_and_ignores_late_packets()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rxtcp-{Guid.NewGuid():N}.pcap");
        try
        {
            var writer = new PcapWriter(path);
            writer.Write(Packet(9, 60), DateTimeOffset.UnixEpoch.AddSeconds(10));
            writer.Dispose();
            writer.Write(Packet(10, 60), DateTimeOffset.UnixEpoch);

            var record = Assert.Single(Parse(File.ReadAllBytes(path)));
            Assert.Equal(10u, record.Seconds);
            Assert.Equal(Packet(9, 60), record.Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Concurrent_writes_produce_whole_records()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            Parallel.For(0, 2000, i => writer.Write(Packet(i, 20 + i % 200), DateTimeOffset.UnixEpoch.AddTicks(i * 10)));
        }

        var records = Parse(stream.ToArray());
        Assert.Equal(2000, records.Count);
        Assert.All(records, r => Assert.Equal(Packet(IdOf(r.Data), r.Data.Length), r.Data));
        Assert.Equal(Enumerable.Range(0, 2000), records.Select(r => IdOf(r.Data)).Order());
    }

    [Fact]
    public void PcapLink_records_both_directions_with_scheduler_time_once_per_packet()
    {
        var scheduler = new TestScheduler();
        using var wire = new VirtualWire(scheduler, new VirtualWireOptions { AToB = new Impairments { Delay = TimeSpan.FromMilliseconds(10) } });
        var stream = new MemoryStream();
        using var writer = new PcapWriter(stream, leaveOpen: true);
        using var a = wire.EndA.WithPcap(writer, scheduler);
        var received = new List<int>();
        a.Inbound.Subscribe(p => received.Add(IdOf(p)));
        a.Inbound.Subscribe(_ => { }); // a second subscriber must not double the records
        wire.EndB.Inbound.Subscribe(p => wire.EndB.Send(Packet(IdOf(p) + 100)));

        scheduler.AdvanceTo(Ms(5));
        a.Send(Packet(1));

        scheduler.AdvanceTo(Ms(100));
        writer.Flush();

        Assert.Equal([101], received);
        Assert.Equal(wire.EndA.Mtu, a.Mtu);
        var records = Parse(stream.ToArray());
        Assert.Equal(2, records.Count);
        Assert.Equal((0u, 5_000u, 1), (records[0].Seconds, records[0].Microseconds, IdOf(records[0].Data)));

        // Out at 5 ms, 10 ms to B, echoed back with no delay: one tick (0.1 µs) later, below pcap's resolution.
        Assert.Equal((0u, 15_000u, 101), (records[1].Seconds, records[1].Microseconds, IdOf(records[1].Data)));
    }
}
