using BenchmarkDotNet.Running;
using RxTcp.Benchmarks;

// `alloc-profile [transfers]` breaks the pipeline's allocations down by type; anything else goes
// to BenchmarkDotNet (e.g. `--filter '*'`, `--list flat`).
if (args.Length > 0 && args[0] == "alloc-profile")
{
    AllocationProfile.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 400);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
