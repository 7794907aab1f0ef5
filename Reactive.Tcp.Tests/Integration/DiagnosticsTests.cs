using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reactive.Concurrency;
using Microsoft.Extensions.Logging;
using Microsoft.Reactive.Testing;
using Reactive.Tcp.Api;
using Reactive.Tcp.Diagnostics;
using Reactive.Tcp.Http;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Stack;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Integration;

/// <summary>Metrics read through a real <see cref="MeterListener"/> and logging through a real <see cref="ILogger"/>.</summary>
public class DiagnosticsTests
{
    [Fact]
    public async Task Instruments_move_when_traffic_flows()
    {
        using var stacks = new RealTimeStacks();
        using var metrics = new RxTcpMetrics();
        using var _ = metrics.Add(stacks.Server);
        using var __ = metrics.Add(stacks.Client);
        using var listener = new RecordingListener(metrics.Meter);

        var before = listener.Collect();
        Assert.Equal(0, before.Sum("rxtcp.segments.sent"));

        var accepted = new TaskCompletionSource<TcpConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listening = stacks.Server.Listen(9).Subscribe(c => accepted.TrySetResult(c));
        var client = await RxTcpHttp.ConnectAsync(stacks.Client, RealTimeStacks.ServerAddress, 9).WaitAsync(TimeSpan.FromSeconds(10));
        var server = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var payload = HttpClientTests.MakeBody(200_000);
        var sink = new MemoryStream();
        var copy = server.AsStream().CopyToAsync(sink);
        await client.SendAsync(payload);

        Assert.True(await RealTimeStacks.Eventually(() => sink.Length == payload.Length));
        // A garbage packet on the wire: the server drops it as truncated.
        stacks.Wire.EndB.Send(new byte[] { 0x45, 0x00, 0x00 });
        Assert.True(await RealTimeStacks.Eventually(() => stacks.Server.Drops[DropReason.Truncated] == 1));

        var open = listener.Collect();
        Assert.True(open.Sum("rxtcp.segments.sent") > 0);
        Assert.True(open.Sum("rxtcp.segments.received") > 0);
        Assert.Equal(payload.Length, open.Value("rxtcp.bytes.delivered", ("rxtcp.stack", "192.0.2.1")));
        Assert.Equal(1, open.Value("rxtcp.packets.dropped", ("rxtcp.stack", "192.0.2.1"), ("rxtcp.drop.reason", "Truncated")));
        Assert.Equal(1, open.Value("rxtcp.connections", ("rxtcp.stack", "192.0.2.1"), ("rxtcp.tcp.state", "ESTABLISHED")));
        Assert.Equal(1, open.Value("rxtcp.connections", ("rxtcp.stack", "192.0.2.2"), ("rxtcp.tcp.state", "ESTABLISHED")));
        Assert.Equal(2, open.Sum("rxtcp.connections.opened"));

        client.Close();
        await copy.WaitAsync(TimeSpan.FromSeconds(10));
        server.Close();
        Assert.True(await RealTimeStacks.Eventually(() => stacks.Server.ConnectionCount == 0 && stacks.Client.ConnectionCount == 0));
        var closed = listener.Collect();
        Assert.Equal(0, closed.Sum("rxtcp.connections"));
        Assert.Equal(2, closed.Sum("rxtcp.connections.closed"));
    }

    [Fact]
    public void Retransmissions_are_counted_when_the_wire_loses_segments()
    {
        using var harness = new TwoStackHarness(Reactive.Tcp.Links.VirtualWireOptions.Symmetric(new Reactive.Tcp.Links.Impairments { Loss = 0.1, Seed = 3 }));
        using var metrics = new RxTcpMetrics();
        using var _ = metrics.Add(harness.Client);
        using var listener = new RecordingListener(metrics.Meter);
        var (_, client) = harness.Transfer(0, 256 * 1024, seed: 1);
        Assert.Equal(client.SentHash, harness.Server.Counters.BytesDelivered == client.Sent.Length ? client.SentHash : "not all delivered");
        Assert.True(listener.Collect().Sum("rxtcp.retransmissions") > 0);
    }

    [Fact]
    public void Removed_stacks_stop_being_reported()
    {
        using var harness = new TwoStackHarness();
        using var metrics = new RxTcpMetrics();
        var registration = metrics.Add(harness.Server);
        using var listener = new RecordingListener(metrics.Meter);
        Assert.Contains(listener.Collect().Points, p => p.Name == "rxtcp.segments.sent");
        registration.Dispose();
        Assert.DoesNotContain(listener.Collect().Points, p => p.Name == "rxtcp.segments.sent");
    }

    [Fact]
    public void Logging_reports_aborts_and_drops_and_formats_nothing_when_disabled()
    {
        using var harness = new TwoStackHarness();
        var poll = new TestScheduler();
        var logger = new ListLogger(LogLevel.Trace);
        var silent = new ListLogger(LogLevel.None);
        using var logging = harness.Server.LogEvents(logger, TimeSpan.FromSeconds(1), poll);
        using var silentLogging = harness.Server.LogEvents(silent, TimeSpan.FromSeconds(1), poll);

        TcpConnection? server = null;
        using var listening = harness.Server.Listen(7).Subscribe(c => server = c);
        TcpConnection? client = null;
        harness.Client.Connect(TwoStackHarness.ServerAddress, 7).Subscribe(c => client = c);
        harness.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        Assert.NotNull(server);
        Assert.NotNull(client);
        using var lifetime = client.LogLifetime(logger);

        harness.Wire.EndB.Send(new byte[] { 0x45, 0x00 });
        harness.Wire.EndB.Send(new byte[] { 0x45, 0x00 });
        client.Abort();
        harness.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        poll.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("192.0.2.1:7 > 192.0.2.2") && e.Message.Contains("ended abnormally from ESTABLISHED"));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("dropped 2 packet(s): Truncated"));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("failed: Aborted"));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Trace && e.Message.Contains("ESTABLISHED"));
        Assert.Empty(silent.Entries);

        // Later drops are reported once, as a difference from the last poll.
        harness.Wire.EndB.Send(new byte[] { 0x45, 0x00 });
        harness.Scheduler.AdvanceBy(1);
        poll.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        Assert.Single(logger.Entries, e => e.Message.Contains("dropped 1 packet(s): Truncated (3 in all)"));
    }

    [Fact]
    public void A_graceful_close_is_not_logged_as_a_failure()
    {
        using var harness = new TwoStackHarness();
        var logger = new ListLogger(LogLevel.Debug);
        using var logging = harness.Server.LogEvents(logger, TimeSpan.FromSeconds(1), new TestScheduler());
        harness.Transfer(10_000, 10_000, seed: 1);
        harness.Scheduler.AdvanceBy(TimeSpan.FromMinutes(10).Ticks);
        Assert.Equal(0, harness.Server.ConnectionCount);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }

    private sealed record Point(string Name, long Value, KeyValuePair<string, object?>[] Tags);

    private sealed class Snapshot(List<Point> points)
    {
        public IReadOnlyList<Point> Points => points;

        public long Sum(string name) => points.Where(p => p.Name == name).Sum(p => p.Value);

        public long Value(string name, params (string Key, string Value)[] tags) =>
            points.Where(p => p.Name == name && tags.All(t => p.Tags.Any(kv => kv.Key == t.Key && Equals(kv.Value, t.Value)))).Sum(p => p.Value);
    }

    /// <summary>Collects the observable instruments of one meter on demand, as dotnet-counters or OpenTelemetry would.</summary>
    private sealed class RecordingListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<Point> _points = new();

        public RecordingListener(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter == meter) l.EnableMeasurementEvents(instrument); };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _points.Add(new Point(i.Name, v, tags.ToArray())));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => _points.Add(new Point(i.Name, v, tags.ToArray())));
            _listener.Start();
        }

        public Snapshot Collect()
        {
            _points.Clear();
            _listener.RecordObservableInstruments();
            return new Snapshot(_points.ToList());
        }

        public void Dispose() => _listener.Dispose();
    }

    private sealed record Entry(LogLevel Level, string Message);

    private sealed class ListLogger(LogLevel minimum) : ILogger
    {
        public ConcurrentQueue<Entry> Entries { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => minimum != LogLevel.None && logLevel >= minimum;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue(new Entry(logLevel, formatter(state, exception)));
    }
}
