using System.Reactive;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Stack;
using Xunit;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Stack;

/// <summary>The meaning of <c>GroupByUntilClosed</c>: Rx's <c>GroupByUntil</c>, compared side by side where they agree.</summary>
public sealed class GroupByUntilClosedTests
{
    private sealed class Recorder
    {
        public List<string> Log { get; } = [];

        public IDisposable Watch(IObservable<IGroupedObservable<string, (string Key, int Value)>> groups) =>
            groups.Subscribe(
                g =>
                {
                    Log.Add($"open {g.Key}");
                    g.Subscribe(x => Log.Add($"{g.Key}:{x.Value}"), e => Log.Add($"error {g.Key}"), () => Log.Add($"end {g.Key}"));
                },
                e => Log.Add("error: " + e.Message),
                () => Log.Add("completed"));
    }

    // Each key closes when its subject fires; the same script runs through both operators.
    private static List<string> Run(bool stock, Action<Subject<(string Key, int Value)>, Func<string, Subject<Unit>>> script)
    {
        var source = new Subject<(string Key, int Value)>();
        var closers = new Dictionary<string, Subject<Unit>>();
        Subject<Unit> CloserOf(string key)
        {
            if (!closers.TryGetValue(key, out var s)) closers[key] = s = new Subject<Unit>();
            return s;
        }
        IObservable<Unit> Duration(IGroupedObservable<string, (string Key, int Value)> g)
        {
            // A fresh closer per group, as a stack has a fresh connection host per group.
            var s = new Subject<Unit>();
            closers[g.Key] = s;
            return s;
        }
        var recorder = new Recorder();
        using var subscription = recorder.Watch(stock
            ? source.GroupByUntil(x => x.Key, Duration)
            : source.GroupByUntilClosed(x => x.Key, Duration));
        script(source, CloserOf);
        return recorder.Log;
    }

    private static void SameAsStock(Action<Subject<(string Key, int Value)>, Func<string, Subject<Unit>>> script, params string[] expected)
    {
        // The stock operator ends its groups in hash-table order; ours in the order they opened.
        var ours = Run(stock: false, script);
        Assert.Equal(Run(stock: true, script).Order(), ours.Order());
        Assert.Equal(expected, ours);
    }

    [Fact]
    public void Elements_go_to_the_group_of_their_key_in_order()
    {
        SameAsStock((s, _) =>
        {
            s.OnNext(("a", 1));
            s.OnNext(("b", 2));
            s.OnNext(("a", 3));
            s.OnCompleted();
        }, "open a", "a:1", "open b", "b:2", "a:3", "end a", "end b", "completed");
    }

    [Fact]
    public void A_group_ends_when_its_duration_fires_and_a_late_element_opens_a_new_group()
    {
        SameAsStock((s, closer) =>
        {
            s.OnNext(("a", 1));
            s.OnNext(("b", 2));
            closer("a").OnNext(Unit.Default);
            s.OnNext(("b", 3));
            s.OnNext(("a", 4));
        }, "open a", "a:1", "open b", "b:2", "end a", "b:3", "open a", "a:4");
    }

    [Fact]
    public void A_duration_that_completes_also_ends_the_group()
    {
        SameAsStock((s, closer) =>
        {
            s.OnNext(("a", 1));
            closer("a").OnCompleted();
            s.OnNext(("a", 2));
        }, "open a", "a:1", "end a", "open a", "a:2");
    }

    [Fact]
    public void Source_error_fails_every_group_and_the_result()
    {
        SameAsStock((s, _) =>
        {
            s.OnNext(("a", 1));
            s.OnNext(("b", 2));
            s.OnError(new InvalidOperationException("boom"));
        }, "open a", "a:1", "open b", "b:2", "error a", "error b", "error: boom");
    }

    [Fact]
    public void Duration_error_fails_everything()
    {
        SameAsStock((s, closer) =>
        {
            s.OnNext(("a", 1));
            closer("a").OnError(new InvalidOperationException("closer"));
            s.OnNext(("a", 2));
        }, "open a", "a:1", "error a", "error: closer");
    }

    [Fact]
    public void A_throwing_key_selector_fails_the_result()
    {
        var log = new List<string>();
        var source = new Subject<int>();
        source.GroupByUntilClosed<int, int, Unit>(x => x == 2 ? throw new InvalidOperationException("key") : x, _ => Observable.Never<Unit>())
            .Subscribe(g => g.Subscribe(x => log.Add($"{x}"), e => log.Add($"group {g.Key} error")), e => log.Add("error: " + e.Message));
        source.OnNext(1);
        source.OnNext(2);
        source.OnNext(3);
        Assert.Equal(["1", "group 1 error", "error: key"], log);
        Assert.False(source.HasObservers);
    }

    [Fact]
    public void A_group_that_closes_itself_while_handling_an_element_ends_after_that_element()
    {
        // What a connection does: its last segment makes it CLOSED, which fires the duration from
        // inside the delivery. The end comes once the delivery returns; the next element opens a new group.
        foreach (var stock in new[] { true, false })
        {
            var log = new List<string>();
            var source = new Subject<int>();
            Subject<Unit>? closer = null;
            Func<IGroupedObservable<int, int>, IObservable<Unit>> duration = _ => closer = new Subject<Unit>();
            var groups = stock ? source.GroupByUntil(x => 0, duration) : source.GroupByUntilClosed(x => 0, duration);
            int opened = 0;
            using var _ = groups.Subscribe(g =>
            {
                int n = ++opened;
                g.Subscribe(
                    x =>
                    {
                        log.Add($"{n}:{x} in");
                        if (x == 2) closer!.OnNext(Unit.Default);
                        log.Add($"{n}:{x} out");
                    },
                    () => log.Add($"{n}: end"));
            });
            source.OnNext(1);
            source.OnNext(2);
            source.OnNext(3);
            Assert.Equal(["1:1 in", "1:1 out", "1:2 in", "1:2 out", "1: end", "2:3 in", "2:3 out"], log);
        }
    }

    [Fact]
    public void A_duration_that_has_already_fired_ends_the_group_at_once()
    {
        var log = new List<string>();
        var source = new Subject<int>();
        var closed = new AsyncSubject<Unit>();
        closed.OnNext(Unit.Default);
        closed.OnCompleted();
        source.GroupByUntilClosed(x => x, _ => closed)
            .Subscribe(g => { log.Add($"open {g.Key}"); g.Subscribe(x => log.Add($"{x}"), () => log.Add("end")); });
        source.OnNext(7);
        Assert.Equal(["open 7", "end"], log);
    }

    [Fact]
    public void Disposing_ends_the_source_and_duration_subscriptions()
    {
        var source = new Subject<int>();
        var closer = new Subject<Unit>();
        var seen = new List<int>();
        var subscription = source.GroupByUntilClosed(x => x % 2, _ => closer).Subscribe(g => g.Subscribe(seen.Add));
        source.OnNext(1);
        source.OnNext(2);
        Assert.True(closer.HasObservers);
        subscription.Dispose();
        Assert.False(source.HasObservers);
        Assert.False(closer.HasObservers);
        Assert.Equal([1, 2], seen);
    }

    [Fact]
    public void A_group_can_have_several_observers_and_lose_one()
    {
        var source = new Subject<int>();
        var first = new List<int>();
        var second = new List<int>();
        IDisposable? secondSubscription = null;
        source.GroupByUntilClosed(x => 0, _ => Observable.Never<Unit>()).Subscribe(g =>
        {
            g.Subscribe(first.Add);
            secondSubscription = g.Subscribe(second.Add);
        });
        source.OnNext(1);
        secondSubscription!.Dispose();
        source.OnNext(2);
        Assert.Equal([1, 2], first);
        Assert.Equal([1], second);
    }

    [Fact]
    public void Elements_pass_without_allocating()
    {
        var source = new Subject<int>();
        long sum = 0;
        using var _ = source.GroupByUntilClosed(x => x & 3, _ => Observable.Never<Unit>()).SelectMany(g => g).Subscribe(x => sum += x);
        for (int i = 0; i < 1000; i++) source.OnNext(i);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) source.OnNext(i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sum > 0);
    }
}

/// <summary>
/// What flows through the TCP transport's operator chain: every operator copies it, and the
/// segment now travels inside it, so its size is watched (a TCP segment with its options is most of it).
/// </summary>
public sealed class TcpInputSizeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void A_tcp_input_carries_its_segment_in_at_most_256_bytes()
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<Reactive.Tcp.Transport.TcpInput>();
        output.WriteLine($"TcpInput {size} B, TcpSegment {System.Runtime.CompilerServices.Unsafe.SizeOf<Reactive.Tcp.Wire.TcpSegment>()} B");
        Assert.True(size <= 256, $"TcpInput is {size} bytes");
    }
}
