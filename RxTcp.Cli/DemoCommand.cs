using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace RxTcp.Cli;

/// <summary><c>rxtcp demo</c>: its options, their validation, and the hand-over to <see cref="DemoRunner"/>.</summary>
internal static class DemoCommand
{
    private const long DefaultBytes = 64L * 1024 * 1024;

    /// <summary>Builds the <c>demo</c> command with its options and action.</summary>
    public static Command Create()
    {
        var bytes = new Option<long?>("--bytes", "-b")
        {
            Description = "Bytes to send in each direction; binary suffixes K, M, G, T (64M = 64 MiB). [default: 64M]",
            HelpName = "size",
            CustomParser = ParseBytes,
        };
        var loss = new Option<double>("--loss")
        {
            Description = "Random packet loss on each direction of the wire, in percent (0 to 90).",
            HelpName = "pct",
            DefaultValueFactory = _ => 0,
            CustomParser = Number("--loss", 0, 90),
        };
        var congestion = new Option<double>("--congestion")
        {
            Description = "Share of packets, in percent (0 to 90), that meet congestion at an ECN-aware queue on each direction "
                + "of the wire: ECN-capable packets are marked CE, the others dropped.",
            HelpName = "pct",
            DefaultValueFactory = _ => 0,
            CustomParser = Number("--congestion", 0, 90),
        };
        var ecn = new Option<bool>("--ecn")
        {
            Description = "Both stacks ask for Explicit Congestion Notification (RFC 3168) when connecting.",
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed for the payload bytes, the wire's loss decisions and port choice.",
            HelpName = "n",
            DefaultValueFactory = _ => 1,
            CustomParser = r => (int)Number("--seed", int.MinValue, int.MaxValue, integer: true)(r),
        };
        var mtu = new Option<int>("--mtu")
        {
            Description = "MTU of the virtual wire in bytes (576 to 65535); the MSS is MTU - 40.",
            HelpName = "bytes",
            DefaultValueFactory = _ => 1500,
            CustomParser = r => (int)Number("--mtu", 576, 65535, integer: true)(r),
        };
        var delay = new Option<double>("--delay")
        {
            Description = "One-way delay of each direction of the wire, in milliseconds (0 to 10000).",
            HelpName = "ms",
            DefaultValueFactory = _ => 0,
            CustomParser = Number("--delay", 0, 10_000),
        };
        var clock = new Option<DemoClock>("--clock")
        {
            Description = "real: the stacks run on one event-loop thread in wall-clock time. "
                + "virtual: a simulated clock advanced as fast as the CPU allows; deterministic for a given seed. [default: real]",
            HelpName = "real|virtual",
            CustomParser = ParseClock,
        };
        var timeout = new Option<double?>("--timeout")
        {
            Description = "Give up after this many wall-clock seconds. [default: scaled from --bytes, --loss and --delay]",
            HelpName = "s",
            CustomParser = r => Number("--timeout", 0.001, TimeSpan.FromDays(1).TotalSeconds)(r),
        };
        var quiet = new Option<bool>("--quiet", "-q")
        {
            Description = "No progress bar (there is none anyway when stderr is not a terminal).",
        };

        var command = new Command("demo",
            "Two RxTcp stacks (server 192.0.2.1, client 192.0.2.2) joined by an in-memory wire: the client "
            + "connects, both send --bytes of seeded random data at the same time, both close gracefully. "
            + "Prints throughput, segment counters and the SHA-256 of what each side sent and the other received. "
            + "Exit code 0 if both directions arrived byte-exact and both sides ended CLOSED, 1 if not, 2 for bad options.")
        {
            bytes, loss, congestion, ecn, seed, mtu, delay, clock, timeout, quiet,
        };

        command.SetAction(parse =>
        {
            var settings = new DemoSettings
            {
                Bytes = parse.GetValue(bytes) ?? DefaultBytes,
                LossPercent = parse.GetValue(loss),
                CongestionPercent = parse.GetValue(congestion),
                Ecn = parse.GetValue(ecn),
                Seed = parse.GetValue(seed),
                Mtu = parse.GetValue(mtu),
                Delay = TimeSpan.FromMilliseconds(parse.GetValue(delay)),
                Clock = parse.GetValue(clock),
                Quiet = parse.GetValue(quiet),
                Timeout = parse.GetValue(timeout) is { } t ? TimeSpan.FromSeconds(t) : null,
            };
            return Run(settings);
        });
        return command;
    }

    /// <summary>Runs the demo, prints the report on stdout and the verdict; returns the exit code.</summary>
    public static int Run(DemoSettings settings)
    {
        var runner = new DemoRunner(settings, Console.Error) { ShowProgress = ProgressBar.IsWanted(settings.Quiet) };
        var result = runner.Run();
        DemoReport.Write(Console.Out, result);
        Console.Out.Flush();
        var failures = result.Failures;
        if (failures.Count == 0)
        {
            Console.WriteLine("OK: both directions arrived byte-exact (SHA-256 match) and both sides ended CLOSED.");
            return 0;
        }
        Console.Error.WriteLine($"rxtcp demo: FAILED: {string.Join("; ", failures)}");
        return 1;
    }

    private static long? ParseBytes(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (ByteSize.TryParse(text, out var value)) return value;
        result.AddError($"--bytes: '{text}' is not a size (examples: 1048576, 512K, 64M, 1G).");
        return null;
    }

    private static DemoClock ParseClock(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (text.Equals("real", StringComparison.OrdinalIgnoreCase)) return DemoClock.Real;
        if (text.Equals("virtual", StringComparison.OrdinalIgnoreCase)) return DemoClock.Virtual;
        result.AddError($"--clock must be 'real' or 'virtual' (got '{text}').");
        return DemoClock.Real;
    }

    /// <summary>A parser for a number in [<paramref name="min"/>, <paramref name="max"/>], read with the invariant culture.</summary>
    private static Func<ArgumentResult, double> Number(string name, double min, double max, bool integer = false) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        var style = integer ? NumberStyles.AllowLeadingSign : NumberStyles.Float;
        if (double.TryParse(text, style, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        var kind = integer ? "a whole number" : "a number";
        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be {kind} from {min} to {max} (got '{text}')."));
        return 0;
    };
}
