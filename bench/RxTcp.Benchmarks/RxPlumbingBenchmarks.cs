using System.Reactive;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace RxTcp.Benchmarks;

/// <summary>
/// What the Rx plumbing costs per event (DESIGN.md §2's table): events pushed through a
/// <see cref="Subject{T}"/> into each operator chain, subscribed once in setup. Keys cycle over
/// four groups. The "stack shape" rows rebuild <c>TcpStack</c>'s chain (Merge, Synchronize, Select,
/// Where, GroupByUntil, SelectMany(Scan)) once with an int and once with an event the size of the
/// stack's own <c>StackEvent</c>, which every operator passes by value.
/// </summary>
[Config(typeof(BenchConfig))]
public class RxPlumbingBenchmarks
{
    private const int Events = 100_000;

    private Subject<int> _ints = null!;
    private Subject<FatEvent> _fat = null!;
    private IDisposable? _subscription;
    private long _sink;
    private FatEvent _fatTemplate;

#pragma warning disable CS0649 // layout stand-ins: only their size matters
    /// <summary>Laid out like the stack's internal StackEvent: kind, frame, key, a whole TcpEvent, command, host, argument.</summary>
    internal struct FatEvent
    {
        public int Kind;
        public ReadOnlyMemory<byte> Frame;
        public ConnectionKey Key;
        public TcpEvent Tcp;
        public int Command;
        public object? Host;
        public object? Argument;
    }

    /// <summary>Laid out like the stack's StackEvent after the shrink: kinds, key, frame, host, argument, count (the segment stays in a slot).</summary>
    internal struct SlimEvent
    {
        public byte Kind;
        public byte TcpKind;
        public byte Command;
        public ConnectionKey Key;
        public ReadOnlyMemory<byte> Frame;
        public object? Host;
        public object? Argument;
        public long Count;
    }
#pragma warning restore CS0649

    private Subject<SlimEvent> _slim = null!;

    /// <summary>Bytes every operator copies per slim event.</summary>
    public static int SlimEventSize => Unsafe.SizeOf<SlimEvent>();

    /// <summary>Bytes every operator copies per fat event.</summary>
    public static int FatEventSize => Unsafe.SizeOf<FatEvent>();

    [GlobalSetup(Target = nameof(SubjectOnly))]
    public void SetupSubject() => Ints(s => s);

    [GlobalSetup(Target = nameof(Select))]
    public void SetupSelect() => Ints(s => s.Select(x => x + 1));

    [GlobalSetup(Target = nameof(Scan))]
    public void SetupScan() => Ints(s => s.Scan(0, (acc, x) => acc + x));

    [GlobalSetup(Target = nameof(GroupBySelectMany))]
    public void SetupGroupBy() => Ints(s => s.GroupBy(x => x & 3).SelectMany(g => g));

    [GlobalSetup(Target = nameof(GroupByUntilSelectMany))]
    public void SetupGroupByUntil() => Ints(s => s.GroupByUntil(x => x & 3, _ => Observable.Never<Unit>()).SelectMany(g => g));

    [GlobalSetup(Target = nameof(GroupByUntilClosedSelectMany))]
    public void SetupGroupByUntilClosed() => Ints(s => s.GroupByUntilClosed(x => x & 3, _ => Observable.Never<Unit>()).SelectMany(g => g));

    [GlobalSetup(Target = nameof(StackShapeIntClosed))]
    public void SetupStackShapeIntClosed()
    {
        var other = new Subject<int>();
        var gate = new object();
        Ints(s => Observable.Merge(s.Select(x => x), other)
            .Synchronize(gate)
            .Select(x => x + 1)
            .Where(x => x != 0)
            .GroupByUntilClosed(x => x & 3, _ => Observable.Never<Unit>())
            .SelectMany(g => g.Scan(0, (acc, x) => acc + x)));
    }

    [GlobalSetup(Target = nameof(StackShapeSlimClosed))]
    public void SetupStackShapeSlim()
    {
        _slim = new Subject<SlimEvent>();
        var other = new Subject<SlimEvent>();
        var gate = new object();
        _subscription = Observable.Merge(_slim.Select(x => x), other)
            .Synchronize(gate)
            .Select(x => { x.Kind++; return x; })
            .Where(x => x.Kind != 0)
            .GroupByUntilClosed(x => x.Command, _ => Observable.Never<Unit>())
            .SelectMany(g => g.Scan(0L, (acc, x) => acc + x.Count))
            .Subscribe(x => _sink += x);
    }

    [GlobalSetup(Target = nameof(StackShapeInt))]
    public void SetupStackShapeInt()
    {
        var other = new Subject<int>();
        var gate = new object();
        Ints(s => Observable.Merge(s.Select(x => x), other)
            .Synchronize(gate)
            .Select(x => x + 1)
            .Where(x => x != 0)
            .GroupByUntil(x => x & 3, _ => Observable.Never<Unit>())
            .SelectMany(g => g.Scan(0, (acc, x) => acc + x)));
    }

    [GlobalSetup(Target = nameof(StackShapeFat))]
    public void SetupStackShapeFat()
    {
        _fat = new Subject<FatEvent>();
        var other = new Subject<FatEvent>();
        var gate = new object();
        _fatTemplate = new FatEvent { Kind = 1, Tcp = TcpEvent.FromSegment(CodecBenchmarks.DataSegment(new byte[16])) };
        _subscription = Observable.Merge(_fat.Select(x => x), other)
            .Synchronize(gate)
            .Select(x => { x.Kind++; return x; })
            .Where(x => x.Kind != 0)
            .GroupByUntil(x => x.Command, _ => Observable.Never<Unit>())
            .SelectMany(g => g.Scan(0L, (acc, x) => acc + x.Tcp.Segment.Seq.Value))
            .Subscribe(x => _sink += x);
    }

    private void Ints(Func<IObservable<int>, IObservable<int>> chain)
    {
        _ints = new Subject<int>();
        _subscription = chain(_ints).Subscribe(x => _sink += x);
    }

    [GlobalCleanup]
    public void Cleanup() => _subscription?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "Subject only")]
    public long SubjectOnly() => PushInts();

    [Benchmark(OperationsPerInvoke = Events, Description = "Select")]
    public long Select() => PushInts();

    [Benchmark(OperationsPerInvoke = Events, Description = "Scan")]
    public long Scan() => PushInts();

    [Benchmark(OperationsPerInvoke = Events, Description = "GroupBy+SelectMany")]
    public long GroupBySelectMany() => PushInts();

    [Benchmark(OperationsPerInvoke = Events, Description = "GroupByUntil+SelectMany")]
    public long GroupByUntilSelectMany() => PushInts();

    [Benchmark(OperationsPerInvoke = Events, Description = "GroupByUntilClosed+SelectMany")]
    public long GroupByUntilClosedSelectMany() => PushInts();

    [Benchmark(OperationsPerInvoke = Events, Description = "Stack shape, int")]
    public long StackShapeInt() => PushInts();

    [Benchmark(OperationsPerInvoke = Events, Description = "Stack shape, StackEvent-sized struct")]
    public long StackShapeFat()
    {
        var e = _fatTemplate;
        for (int i = 0; i < Events; i++)
        {
            e.Command = i & 3;
            _fat.OnNext(e);
        }
        return _sink;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "Stack shape, int, GroupByUntilClosed")]
    public long StackShapeIntClosed() => PushInts();

    [Benchmark(OperationsPerInvoke = Events, Description = "Stack shape, 64-byte StackEvent, GroupByUntilClosed")]
    public long StackShapeSlimClosed()
    {
        var e = new SlimEvent { Kind = 1, Count = 3 };
        for (int i = 0; i < Events; i++)
        {
            e.Command = (byte)(i & 3);
            _slim.OnNext(e);
        }
        return _sink;
    }

    private long PushInts()
    {
        var s = _ints;
        for (int i = 0; i < Events; i++) s.OnNext(i);
        return _sink;
    }
}
