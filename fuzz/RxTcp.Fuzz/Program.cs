using RxTcp.Fuzz;
using Reactive.Tcp.Wire;
using SharpFuzz;

// Usage:
//   RxTcp.Fuzz <parse|options|stack>                 run under afl-fuzz (input on stdin / @@ via SharpFuzz)
//   RxTcp.Fuzz <parse|options|stack> --replay <path>  run files (or a folder of them) once, report failures
//   RxTcp.Fuzz trace <file>                            stack target: print what the stack sent for one input
//   RxTcp.Fuzz seeds <folder>                          write the seed corpus (<folder>/<target>/...)
if (args.Length >= 2 && args[0] == "seeds")
{
    Seeds.Write(args[1]);
    return 0;
}
if (args.Length >= 2 && args[0] == "trace")
{
    // Triage: what the stack target did with one input (counters and every packet it sent).
    using var live = new LiveStack();
    int shown = 0;
    var perSecond = new SortedDictionary<int, int>();
    live.Link.Sent.Subscribe(p =>
    {
        shown++;
        perSecond[live.Scheduler.Now.Second + 60 * live.Scheduler.Now.Minute] = perSecond.GetValueOrDefault(live.Scheduler.Now.Second + 60 * live.Scheduler.Now.Minute) + 1;
        if ((shown < 40 || shown % 100_000 == 0) && PacketParser.Parse(p, out var packet) == DropReason.None)
            Console.WriteLine($"#{shown} {live.Scheduler.Now:HH:mm:ss.fff} {packet}");
    });
    live.Accepted?.States.Subscribe(s => Console.WriteLine($"#{shown} {live.Scheduler.Now:HH:mm:ss.fff} accepted connection: {s}"));
    try { live.Feed(File.ReadAllBytes(args[1])); }
    finally
    {
        Console.WriteLine($"sent {live.Link.SentPackets.Count} packets; {live.Stack.Counters}; faults {live.Stack.Counters.PipelineFaults}");
        Console.WriteLine("packets sent per second of virtual time: " + string.Join(", ", perSecond.Select(kv => $"{kv.Key}s:{kv.Value}")));
        Console.WriteLine($"delivered {live.Delivered.Count} B; managed heap {GC.GetTotalMemory(false) / 1024} KiB");
    }
    return 0;
}
if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: RxTcp.Fuzz <{string.Join('|', Targets.All.Keys)}> [--replay <path>] | seeds <folder>");
    return 2;
}
if (args.Length >= 3 && args[1] == "--replay")
{
    var files = Directory.Exists(args[2]) ? Directory.GetFiles(args[2], "*", SearchOption.AllDirectories) : [args[2]];
    int failed = 0;
    foreach (var file in files.Order(StringComparer.Ordinal))
    {
        try { target(File.ReadAllBytes(file)); }
        catch (Exception e) { failed++; Console.WriteLine($"{file}: {e}"); }
    }
    Console.WriteLine($"{files.Length} file(s), {failed} failed");
    return failed == 0 ? 0 : 1;
}

Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
