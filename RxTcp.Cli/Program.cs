using System.CommandLine;
using System.Text.RegularExpressions;
using RxTcp.Cli;

// rxtcp: a thin command line over RxTcp. Parsing lives here; each command's work lives in its own
// files (demo: DemoCommand, DemoRunner, ProgressBar; serve and fetch: ServeCommand, FetchCommand,
// TunHost, with the applications in Apps/; trace: TraceCommand over Reactive.Tcp.Diagnostics.Rendering).
//
// Exit codes: 0 success, 1 the command ran and failed, 2 bad usage (one line on stderr).

var root = new RootCommand(
    "rxtcp - a userspace TCP/IP stack for .NET, written as an Rx.NET pipeline.\n"
    + "Run 'rxtcp demo' for an in-memory transfer between two stacks; 'rxtcp serve' and 'rxtcp fetch' put a stack on a "
    + "Linux TUN device (root, inside a network namespace); 'rxtcp trace FILE.pcap' draws a capture's connections; 'rxtcp <command> --help' for a command's options.")
{
    DemoCommand.Create(),
    ServeCommand.Create(),
    FetchCommand.Create(),
    NetsimCommand.Create(),
    BenchCommand.Create(),
    TraceCommand.Create(),
};
root.SetAction(parse =>
{
    Console.Error.WriteLine("rxtcp: no command given; try 'rxtcp demo', or 'rxtcp --help'.");
    return 2;
});

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    var command = parsed.CommandResult.Command;
    var helpHint = command == root ? "rxtcp --help" : $"rxtcp {command.Name} --help";
    var message = Regex.Replace(parsed.Errors[0].Message, @"\s+", " ").Trim(); // always one line
    Console.Error.WriteLine($"rxtcp: {message} (see '{helpHint}')");
    return 2;
}
return parsed.Invoke();
