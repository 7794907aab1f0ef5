using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Reactive.Tcp.Tcp;

namespace RxTcp.Cli;

/// <summary>
/// <c>rxtcp bench throughput|latency|connections|memory [--json]</c>: each mode measures RxTcp
/// (two stacks over the in-memory wire, real clock) and the kernel (System.Net.Sockets over
/// 127.0.0.1) in the same run and prints both figures and their ratio.
/// </summary>
internal static class BenchCommand
{
    private const int ChunkSize = 1024 * 1024;

    /// <summary>Builds the <c>bench</c> command and its four modes.</summary>
    public static Command Create()
    {
        var command = new Command("bench",
            "Measures RxTcp against the kernel's TCP over loopback in the same run and prints both figures and the ratio "
            + "(RxTcp / kernel). RxTcp runs two stacks joined by the in-memory wire on one event-loop thread in real time; "
            + "the kernel side uses System.Net.Sockets on 127.0.0.1, one thread per end.")
        {
            Throughput(), Latency(), Connections(), Memory(), Tun(), Http(), KestrelSockets(),
        };
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("rxtcp bench: say which: throughput, latency, connections, memory, tun or http (see 'rxtcp bench --help').");
            return 2;
        });
        return command;
    }

    private static Option<bool> ThreadPerStackOption() => new("--thread-per-stack")
    {
        Description = "Run each RxTcp stack (and its application) on its own event-loop thread, the wire handing packets across, as the kernel side has one thread per end. "
            + "The default is one event-loop thread for both stacks, the wire and both applications, which measured faster on 2 cores (no cross-thread wake-ups).",
    };

    // CPU seconds (user + system, all threads) this process spends in measure(), and its wall time.
    private static (T Value, double CpuSeconds, double WallSeconds) Timed<T>(Func<T> measure)
    {
        var (user, system) = ThreadCpu.OfProcess(Environment.ProcessId);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var value = measure();
        var (user2, system2) = ThreadCpu.OfProcess(Environment.ProcessId);
        return (value, user2 + system2 - user - system, wall.Elapsed.TotalSeconds);
    }

    private static void AddCpu(BenchResult result, string side, double cpu, double wall)
    {
        result.Details.Add((side + "ProcessCpuSeconds", cpu, "s"));
        result.Details.Add((side + "WallSeconds", wall, "s"));
    }

    private static string Threads(bool oneThread) => oneThread
        ? "RxTcp: both stacks, the wire and both applications on one event-loop thread"
        : "RxTcp: one event-loop thread per stack (its application callbacks on it too), the wire delivering across them";

    private static Option<bool> JsonOption() => new("--json")
    {
        Description = "Print one JSON object (fields rxtcp, kernel, unit, ratio, details, notes) instead of text.",
    };

    private static Command Throughput()
    {
        var bytes = new Option<long?>("--bytes", "-b")
        {
            Description = "Bytes to transfer on each side; binary suffixes K, M, G (256M = 256 MiB). [default: 256M]",
            HelpName = "size",
            CustomParser = ParseBytes,
        };
        var mtu = new Option<int>("--mtu")
        {
            Description = "MTU of RxTcp's in-memory wire (576 to 65535). The kernel's loopback MTU is 65536.",
            HelpName = "bytes",
            DefaultValueFactory = _ => 65535,
            CustomParser = r => (int)Number("--mtu", 576, 65535)(r),
        };
        var json = JsonOption();
        var threadPerStack = ThreadPerStackOption();
        var command = new Command("throughput", "Bulk transfer client → server, the same bytes each way of measuring; MiB/s.") { bytes, mtu, threadPerStack, json };
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            long total = parse.GetValue(bytes) ?? 256L * 1024 * 1024;
            int wireMtu = parse.GetValue(mtu);
            long warmup = Math.Min(total, 32L * 1024 * 1024);
            Progress("throughput: RxTcp ...");
            bool single = !parse.GetValue(threadPerStack);
            var (rx, rxCpu, rxWall) = Timed(() => BenchRxTcp.Throughput(total, warmup, wireMtu, ChunkSize, single));
            Progress("throughput: kernel ...");
            var (kernel, kernelCpu, kernelWall) = Timed(() => BenchKernel.Throughput(total, warmup, ChunkSize));
            var result = new BenchResult { Mode = "throughput", Unit = "MiB/s", RxTcp = rx / Mib, Kernel = kernel / Mib, HigherIsBetter = true };
            AddCpu(result, "rxtcp", rxCpu, rxWall);
            AddCpu(result, "kernel", kernelCpu, kernelWall);
            result.Details.Add(("bytes", total, "B"));
            result.Details.Add(("rxtcpGbitPerSecond", rx * 8 / 1e9, "Gbit/s"));
            result.Details.Add(("kernelGbitPerSecond", kernel * 8 / 1e9, "Gbit/s"));
            result.Notes.Add(Invariant($"{Threads(single)}, wire MTU {wireMtu}; kernel: 127.0.0.1, one thread per end; {MibText(warmup)} MiB warm-up on the same connection first, then {MibText(total)} MiB timed."));
            return result;
        }));
        return command;
    }

    private static Command Latency()
    {
        var rounds = new Option<int>("--rounds")
        {
            Description = "Round trips to time (after a tenth as many for warm-up).",
            HelpName = "n",
            DefaultValueFactory = _ => 20_000,
            CustomParser = r => (int)Number("--rounds", 10, 10_000_000)(r),
        };
        var json = JsonOption();
        var threadPerStack = ThreadPerStackOption();
        var command = new Command("latency", "1-byte ping-pong round trips; median and p99 in microseconds (the ratio is of the medians).") { rounds, threadPerStack, json };
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            int n = parse.GetValue(rounds);
            int warmup = Math.Max(100, n / 10);
            Progress("latency: RxTcp ...");
            bool single = !parse.GetValue(threadPerStack);
            var rx = BenchRxTcp.PingPong(n, warmup, single);
            Progress("latency: kernel ...");
            var kernel = BenchKernel.PingPong(n, warmup);
            Array.Sort(rx);
            Array.Sort(kernel);
            var result = new BenchResult { Mode = "latency", Unit = "us (median RTT)", RxTcp = Percentile(rx, 0.5), Kernel = Percentile(kernel, 0.5), HigherIsBetter = false };
            result.Details.Add(("rxtcpP99", Percentile(rx, 0.99), "us"));
            result.Details.Add(("kernelP99", Percentile(kernel, 0.99), "us"));
            result.Details.Add(("ratioP99", Percentile(rx, 0.99) / Percentile(kernel, 0.99), ""));
            result.Details.Add(("rounds", n, ""));
            result.Notes.Add(Threads(single) + "; kernel: TCP_NODELAY, blocking calls, one thread per end.");
            return result;
        }));
        return command;
    }

    private static Command Connections()
    {
        var seconds = new Option<double>("--seconds")
        {
            Description = "How long to measure each side (after a 1-second warm-up).",
            HelpName = "s",
            DefaultValueFactory = _ => 5,
            CustomParser = r => Number("--seconds", 0.1, 600)(r),
        };
        var buffers = BuffersOption();
        var json = JsonOption();
        var threadPerStack = ThreadPerStackOption();
        var command = new Command("connections",
            "Connections one after another: open, 1-byte request, 1-byte response, close (the client first); per second.") { seconds, buffers, threadPerStack, json };
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            var duration = TimeSpan.FromSeconds(parse.GetValue(seconds));
            var warmup = TimeSpan.FromSeconds(1);
            Progress("connections: RxTcp ...");
            var config = Config(parse.GetValue(buffers));
            bool single = !parse.GetValue(threadPerStack);
            var (rx, rxCpu) = BenchRxTcp.Connections(duration, warmup, config, single);
            Progress("connections: kernel ...");
            var (kernel, kernelCpu) = BenchKernel.Connections(duration, warmup);
            var result = new BenchResult { Mode = "connections", Unit = "connections/s", RxTcp = rx, Kernel = kernel, HigherIsBetter = true };
            result.Details.Add(("rxtcpCpuPerConnection", rxCpu, "us (process CPU, all threads, measured part)"));
            result.Details.Add(("kernelCpuPerConnection", kernelCpu, "us (process CPU incl. the kernel's TCP work in its threads)"));
            result.Details.Add(("ratioCpuPerConnection", rxCpu / kernelCpu, ""));
            result.Details.Add(("rxtcpBufferBytesPerEnd", config.SendBufferSize + config.ReceiveBufferSize, "B"));
            result.Notes.Add(Threads(single) + "; kernel: one blocking thread per end. One connection at a time on each side; the client closes first and the next connection starts when the server's FIN arrives. RxTcp runs with MSL 50 ms so that TIME-WAIT (2 MSL, holding the client's port) does not use up its 16,384 ephemeral ports; the kernel recycles loopback TIME-WAIT ports itself (tcp_tw_reuse).");
            return result;
        }));
        return command;
    }

    private static Command Memory()
    {
        var count = new Option<int>("--count", "-n")
        {
            Description = "Idle established connections to hold open on each side.",
            HelpName = "n",
            DefaultValueFactory = _ => 100_000,
            CustomParser = r => (int)Number("--count", 1, 10_000_000)(r),
        };
        var buffers = BuffersOption();
        var json = JsonOption();
        var command = new Command("memory",
            "N idle established connections (both ends in one process for RxTcp; N loopback socket pairs for the kernel); bytes of memory per connection.")
        {
            count, buffers, json,
        };
        command.SetAction(parse => Run(parse.GetValue(json), () =>
        {
            int wanted = parse.GetValue(count);
            var config = Config(parse.GetValue(buffers));
            var notes = new List<string>();

            // Rings are rented on first use, so an idle connection holds no buffers; still keep a
            // generous per-connection estimate (blocks, hosts, table rows) within the memory there is.
            long perConnection = 64L * 1024;
            long available = AvailableMemory();
            int rxCount = (int)Math.Clamp(available / 2 / perConnection, 1, wanted);
            if (rxCount < wanted)
                notes.Add(Invariant($"RxTcp measured with {rxCount:N0} connections, not {wanted:N0}: {Gib(available):F1} GiB available allows no more at a cautious {Kib(perConnection)} KiB per connection."));

            long limit = BenchMemory.RaiseOpenFileLimit(2L * wanted + 256);
            int kernelCount = (int)Math.Clamp((limit - 256) / 2, 1, wanted);
            if (kernelCount < wanted)
                notes.Add(Invariant($"kernel measured with {kernelCount:N0} socket pairs, not {wanted:N0}: the open-file limit is {limit:N0} and could not be raised to {2L * wanted + 256:N0} (raise the hard limit with 'ulimit -Hn' as root; going past it needs CAP_SYS_RESOURCE)."));

            Progress(Invariant($"memory: RxTcp, {rxCount:N0} connections ..."));
            var rx = BenchRxTcp.IdleConnections(rxCount, config);
            Progress(Invariant($"memory: kernel, {kernelCount:N0} socket pairs ..."));
            var kernel = BenchKernel.IdleConnections(kernelCount);

            var result = new BenchResult
            {
                Mode = "memory",
                Unit = "bytes per connection",
                RxTcp = rx.WorkingSetBytes,
                Kernel = kernel.WorkingSetBytes + kernel.KernelBytes,
                HigherIsBetter = false,
            };
            result.Details.Add(("rxtcpConnections", rxCount, ""));
            result.Details.Add(("rxtcpGcHeapPerConnection", rx.GcBytes, "B"));
            result.Details.Add(("rxtcpWorkingSetPerConnection", rx.WorkingSetBytes, "B"));
            result.Details.Add(("kernelConnections", kernelCount, ""));
            result.Details.Add(("kernelProcessGcHeapPerConnection", kernel.GcBytes, "B"));
            result.Details.Add(("kernelProcessWorkingSetPerConnection", kernel.WorkingSetBytes, "B"));
            result.Details.Add(("kernelSlabPerConnection", kernel.KernelBytes, "B"));
            result.Details.Add(("rxtcpBufferBytesPerEnd", config.SendBufferSize + config.ReceiveBufferSize, "B"));
            result.Notes.Add("A connection is both ends (client and server) in both cases. RxTcp: working-set delta of this process. Kernel: this process's working-set delta plus the kernel's slab delta (/proc/meminfo), where socket memory lives; other activity on the machine adds noise to the slab figure.");
            result.Notes.AddRange(notes);
            return result;
        }));
        return command;
    }

    private static Command Tun()
    {
        var bytes = new Option<long?>("--bytes", "-b")
        {
            Description = "Bytes to time on each side, after a warm-up of as many up to 32 MiB on the same connection; suffixes K, M, G. [default: 256M]",
            HelpName = "size",
            CustomParser = ParseBytes,
        };
        var mtu = new Option<int>("--mtu")
        {
            Description = "MTU of the TUN device (and RxTcp's MSS = MTU - 40) and of the veth pair, 576 to 65535.",
            HelpName = "bytes",
            DefaultValueFactory = _ => 1500,
            CustomParser = r => (int)Number("--mtu", 576, 65535)(r),
        };
        var offload = new Option<string>("--offload")
        {
            Description = "RxTcp's TUN device with the virtio header and checksum/TSO4 offload (on), without (off), or both, one after the other.",
            HelpName = "on|off|both",
            DefaultValueFactory = _ => "both",
        };
        offload.AcceptOnlyFromAmong("on", "off", "both");
        var runs = new Option<int>("--runs")
        {
            Description = "Measure each side this many times, interleaved, and report the medians (a shared machine is noisy).",
            HelpName = "n",
            DefaultValueFactory = _ => 1,
            CustomParser = r => (int)Number("--runs", 1, 100)(r),
        };
        var buffers = BuffersOption();
        var json = JsonOption();
        var command = new Command("tun",
            "Needs root. A kernel TCP client (python3) uploads to RxTcp on a TUN device, and to a kernel server over a veth pair, "
            + "each in fresh network namespaces; Gbit/s as the receiving server counts it.") { bytes, mtu, offload, runs, buffers, json };
        command.SetAction(parse =>
        {
            using var signal = new ShutdownSignal();
            try
            {
                BenchTun.CheckPrerequisites();
                return Run(parse.GetValue(json), () => MeasureTun(parse.GetValue(bytes) ?? 256L * 1024 * 1024, parse.GetValue(mtu),
                    parse.GetValue(offload)!, parse.GetValue(runs), Config(parse.GetValue(buffers)), signal.Token));
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("rxtcp bench tun: interrupted; namespaces, devices and the client removed.");
                return 130;
            }
            catch (Exception e) when (e is Reactive.Tcp.Linux.TunException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                Console.Error.WriteLine("rxtcp bench tun: " + e.Message);
                return 1;
            }
        });
        return command;
    }

    private static Command Http()
    {
        var seconds = new Option<double>("--seconds")
        {
            Description = "How long each wrk load runs.",
            HelpName = "s",
            DefaultValueFactory = _ => 10,
            CustomParser = r => Number("--seconds", 0.5, 600)(r),
        };
        var requests = new Option<int>("--requests")
        {
            Description = "Requests ab makes in the new-connection-per-request load (32 at a time).",
            HelpName = "n",
            DefaultValueFactory = _ => 20_000,
            CustomParser = r => (int)Number("--requests", 32, 10_000_000)(r),
        };
        var many = new Option<int>("--many")
        {
            Description = "Connections of the many-connections keep-alive load.",
            HelpName = "n",
            DefaultValueFactory = _ => 1000,
            CustomParser = r => (int)Number("--many", 2, 60_000)(r),
        };
        var download = new Option<long?>("--download")
        {
            Description = "Size of the file downloaded (three times over one connection); suffixes K, M, G. [default: 64M]",
            HelpName = "size",
            CustomParser = ParseBytes,
        };
        var runs = new Option<int>("--runs")
        {
            Description = "Measure every load on every server this many times, interleaved, and report the medians (a shared machine is noisy).",
            HelpName = "n",
            DefaultValueFactory = _ => 3,
            CustomParser = r => (int)Number("--runs", 1, 100)(r),
        };
        var queues = new Option<int>("--queues")
        {
            Description = "Queues of RxTcp's TUN device, each with a stack of its own (rxtcp serve --queues).",
            HelpName = "n",
            DefaultValueFactory = _ => 1,
            CustomParser = r => (int)Number("--queues", 1, 64)(r),
        };
        var noKestrel = new Option<bool>("--no-kestrel") { Description = "Leave out Kestrel on RxTcp against Kestrel on sockets." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (headline fields rxtcp, kernel, ratio as the other modes; every figure under loads) instead of the table." };
        var jsonFile = new Option<string?>("--json-file") { Description = "Also write the JSON object to this file.", HelpName = "path" };
        var command = new Command("http",
            "Needs root. RxTcp's 'serve http' on a TUN device (without and with --offload) and nginx on kernel TCP serve the same files, each in fresh network namespaces, "
            + "loaded by wrk, ab and curl from the kernel: keep-alive with 64 connections, a new connection per request, 1,000 keep-alive connections, a large download; "
            + "then Kestrel on RxTcp against Kestrel on sockets under the keep-alive load. Requests/s, latency median and p99, errors, the server's peak memory, side by side.")
        {
            seconds, requests, many, download, runs, queues, noKestrel, json, jsonFile,
        };
        command.SetAction(parse =>
        {
            using var signal = new ShutdownSignal();
            try
            {
                BenchHttp.CheckPrerequisites();
                var settings = new BenchHttp.Settings(parse.GetValue(runs),
                    new BenchHttpLoadSettings(parse.GetValue(seconds), parse.GetValue(requests), parse.GetValue(many), parse.GetValue(download) ?? 64L * 1024 * 1024),
                    parse.GetValue(queues), Kestrel: !parse.GetValue(noKestrel));
                var report = BenchHttp.Measure(settings, line => Progress("http: " + line), signal.Token);
                if (parse.GetValue(jsonFile) is { } path)
                {
                    using var file = new StreamWriter(path);
                    BenchHttpReport.WriteJson(report, file);
                }
                if (parse.GetValue(json)) BenchHttpReport.WriteJson(report, Console.Out);
                else BenchHttpReport.WriteText(report, Console.Out);
                return 0;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("rxtcp bench http: interrupted; servers stopped, namespaces removed.");
                return 130;
            }
            catch (Exception e) when (e is Reactive.Tcp.Linux.TunException or TimeoutException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("rxtcp bench http: " + ServeCommand.OneLine(e.Message));
                return 1;
            }
        });
        return command;
    }

    /// <summary>
    /// The Kestrel-on-sockets server of <c>bench http</c>, run by it as a child process inside the
    /// server namespace (so its memory is its own); not meant to be run by hand.
    /// </summary>
    private static Command KestrelSockets()
    {
        var address = new Option<string>("--address") { Required = true, HelpName = "addr" };
        var port = new Option<int>("--port") { DefaultValueFactory = _ => 80, CustomParser = r => TunOptions.ParseInt(r, "--port", 1, 65535) };
        var root = new Option<string>("--root") { Required = true, HelpName = "dir" };
        var command = new Command("kestrel-sockets", "Kestrel on kernel sockets serving --root (for bench http).") { address, port, root };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            using var signal = new ShutdownSignal();
            var web = Apps.KestrelApp.StartAsync(System.Net.IPAddress.Parse(parse.GetValue(address)!), (ushort)parse.GetValue(port), parse.GetValue(root)!).GetAwaiter().GetResult();
            Console.Error.WriteLine($"rxtcp bench kestrel-sockets: serving {parse.GetValue(root)} on {parse.GetValue(address)}:{parse.GetValue(port)}.");
            signal.Token.WaitHandle.WaitOne();
            using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            {
                try
                {
                    web.StopAsync(grace.Token).GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    // Still open after the grace period: dropped with the process.
                }
            }
            ((IDisposable)web).Dispose();
            return 0;
        });
        return command;
    }

    private static BenchResult MeasureTun(long total, int mtu, string offload, int runs, TcpConfig tcp, CancellationToken cancel)
    {
        long warmup = Math.Min(total, 32L * 1024 * 1024);
        var plainRuns = new List<BenchTun.Upload>();
        var offloadRuns = new List<BenchTun.Upload>();
        var kernelRuns = new List<BenchTun.Upload>();
        // Interleaved, so that a busy spell on a shared machine hurts each side alike.
        for (int run = 1; run <= runs; run++)
        {
            var of = runs > 1 ? Invariant($" (run {run} of {runs})") : "";
            if (offload is "off" or "both")
            {
                Progress("tun: RxTcp on a TUN device, no offload" + of + " ...");
                plainRuns.Add(BenchTun.RxTcp(total, warmup, mtu, offload: false, tcp, cancel));
            }
            if (offload is "on" or "both")
            {
                Progress("tun: RxTcp on a TUN device, checksum/TSO4 offload" + of + " ...");
                offloadRuns.Add(BenchTun.RxTcp(total, warmup, mtu, offload: true, tcp, cancel));
            }
            Progress("tun: kernel over veth" + of + " ...");
            kernelRuns.Add(BenchTun.Kernel(total, warmup, mtu, cancel));
        }

        var plain = Median(plainRuns);
        var offloaded = Median(offloadRuns);
        var kernel = Median(kernelRuns)!;
        var main = offloaded ?? plain!;
        var result = new BenchResult { Mode = "tun", Unit = "Gbit/s", RxTcp = main.Gbit, Kernel = kernel.Gbit, HigherIsBetter = true };
        result.Details.Add(("bytes", main.Bytes, "B"));
        result.Details.Add(("offload", offloaded is null ? 0 : 1, "(rxtcp figure: 1 with offload, 0 without)"));
        result.Details.Add(("runs", runs, "(figures are medians)"));
        if (plain is not null && offloaded is not null)
        {
            result.Details.Add(("rxtcpWithoutOffload", plain.Gbit, "Gbit/s"));
            result.Details.Add(("ratioWithoutOffload", plain.Gbit / kernel.Gbit, ""));
        }
        foreach (var (name, upload, all) in new[] { ("rxtcpWithoutOffload", plain, plainRuns), ("rxtcpOffload", offloaded, offloadRuns), ("kernel", kernel, kernelRuns) })
        {
            if (upload is null) continue;
            double gib = upload.Bytes / (1024.0 * 1024 * 1024);
            result.Details.Add((name + "Seconds", upload.Elapsed.TotalSeconds, "s"));
            result.Details.Add((name + "ServerCpuPerGiB", (upload.Server.User + upload.Server.System) / gib, "CPU s/GiB (receiving process)"));
            result.Details.Add((name + "ClientCpuPerGiB", (upload.Client.User + upload.Client.System) / gib, "CPU s/GiB (python3 client incl. its kernel work)"));
            if (runs > 1) result.Notes.Add(Invariant($"{name}: each run {string.Join(", ", all.Select(u => u.Gbit.ToString("F3", CultureInfo.InvariantCulture)))} Gbit/s."));
            result.Notes.Add(Invariant($"{name} (median run): receiving process user {upload.Server.User:F2} s + system {upload.Server.System:F2} s, client user {upload.Client.User:F2} s + system {upload.Client.System:F2} s over {upload.Elapsed.TotalSeconds:F2} s; by thread: ")
                + (upload.Cpu.Count == 0 ? "none measurable" : string.Join(", ", upload.Cpu.Take(5).Select(t => Invariant($"'{t.Thread}' {t.Seconds:F2} s"))))
                + (upload.Counters.Length > 0 ? "; " + upload.Counters : ""));
        }
        result.Notes.Add(Invariant($"Client: python3 sendall in 1 MiB pieces, {MibText(warmup)} MiB warm-up then {MibText(total)} MiB timed by the receiving server. ")
            + Invariant($"RxTcp: TUN device MTU {mtu} in a fresh namespace, reader thread + stack event loop, discarding; kernel: veth pair MTU {mtu} between two fresh namespaces (TSO/GSO on, as veth defaults), a blocking receive thread. ")
            + Invariant($"Load average at the end: {LoadAverage()} on {Environment.ProcessorCount} CPUs."));
        return result;
    }

    private static BenchTun.Upload? Median(List<BenchTun.Upload> runs) =>
        runs.Count == 0 ? null : runs.OrderBy(u => u.Gbit).ElementAt(runs.Count / 2);

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static Option<long?> BuffersOption() => new("--buffers")
    {
        Description = "RxTcp's send and receive buffer size per connection end (e.g. 16K). [default: TcpConfig.Default, 256K each]",
        HelpName = "size",
        CustomParser = ParseBytes,
    };

    private static TcpConfig Config(long? buffers) => buffers is { } size
        ? TcpConfig.Default with { SendBufferSize = (int)size, ReceiveBufferSize = (int)size }
        : TcpConfig.Default;

    private static int Run(bool json, Func<BenchResult> measure)
    {
        var result = measure();
        result.Write(Console.Out, json);
        return 0;
    }

    private const double Mib = 1024.0 * 1024;

    private static string MibText(long bytes) => (bytes / Mib).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Kib(long bytes) => (bytes / 1024.0).ToString("N0", CultureInfo.InvariantCulture);

    private static double Gib(double bytes) => bytes / (1024.0 * 1024 * 1024);

    private static void Progress(string line) => Console.Error.WriteLine("rxtcp bench " + line);

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static long AvailableMemory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line["MemAvailable:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private static long? ParseBytes(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (ByteSize.TryParse(text, out var value) && value > 0) return value;
        result.AddError($"'{text}' is not a size (examples: 1048576, 512K, 64M, 1G).");
        return null;
    }

    private static Func<ArgumentResult, double> Number(string name, double min, double max) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be a number from {min} to {max} (got '{text}')."));
        return 0;
    };

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
