using System.CommandLine;
using System.Globalization;
using Reactive.Tcp.Api;
using Reactive.Tcp.Linux;
using RxTcp.Cli.Apps;
using Reactive.Tcp.Tcp;

namespace RxTcp.Cli;

/// <summary><c>rxtcp fetch</c>: one HTTP GET from a stack on a TUN device to a server in the kernel's namespace.</summary>
internal static class FetchCommand
{
    /// <summary>Builds the <c>fetch</c> command.</summary>
    public static Command Create()
    {
        var tun = new TunOptions();
        var url = new Argument<string>("url")
        {
            Description = "http:// URL with an IPv4 host, e.g. http://192.0.2.1:8000/big.bin (no DNS, no https).",
            HelpName = "url",
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Write the body to this file instead of stdout.",
            HelpName = "file",
        };
        var timeout = new Option<double?>("--timeout")
        {
            Description = "Give up after this many seconds. [default: no limit]",
            HelpName = "s",
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 86400) return s;
                r.AddError($"--timeout must be a number of seconds from 0 to 86400 (got '{text}').");
                return null;
            },
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No summary line on stderr." };

        var command = new Command("fetch",
            "Creates a TUN device, gives the kernel --peer on it, and sends an HTTP/1.1 GET for URL from an RxTcp stack at --ip. "
            + "The body (framed by Content-Length, chunked encoding or the server's close) goes to stdout or --output; "
            + "a summary goes to stderr. Exit code 0 for a 2xx response, 1 for any other response or a failed transfer, 2 for bad options. "
            + "Needs root, and a network namespace: run it under 'ip netns exec NS' or pass --netns NS.");
        tun.AddTo(command);
        command.Arguments.Add(url);
        command.Options.Add(output);
        command.Options.Add(timeout);
        command.Options.Add(quiet);
        command.Validators.Add(result =>
        {
            if (result.GetValue(url) is { } text && HttpFetch.Validate(text, out _, out _) is { } problem) result.AddError(problem);
        });
        command.SetAction(parse => Run(tun.Read(parse), new Uri(parse.GetValue(url)!), parse.GetValue(output), parse.GetValue(timeout), parse.GetValue(quiet)));
        return command;
    }

    private static int Run(TunSettings settings, Uri url, string? outputPath, double? timeout, bool quiet)
    {
        using var signal = new ShutdownSignal();
        if (!TunHost.TryOpen(settings, "rxtcp fetch", out var host)) return 1;

        using (host)
        {
            using var limit = timeout is { } t ? new CancellationTokenSource(TimeSpan.FromSeconds(t)) : new CancellationTokenSource();
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(signal.Token, limit.Token, host.LinkFailed);
            Stream output;
            try
            {
                output = outputPath is null
                    ? Console.OpenStandardOutput()
                    : new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1024 * 1024, useAsync: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"rxtcp fetch: cannot write '{outputPath}': {e.Message}");
                return 1;
            }

            try
            {
                using (output)
                {
                    var result = HttpFetch.GetAsync(host.Stack, url, output, cancel.Token).GetAwaiter().GetResult();
                    if (!quiet)
                    {
                        var seconds = Math.Max(result.Elapsed.TotalSeconds, 1e-6);
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"rxtcp fetch: {result.StatusCode} {result.ReasonPhrase}; {result.BodyBytes} bytes ({result.Framing}) in {seconds:0.000} s = {result.BodyBytes * 8 / seconds / 1e6:0.0} Mbit/s"));
                    }
                    if (result.Succeeded) return 0;
                    Console.Error.WriteLine($"rxtcp fetch: the server answered {result.StatusCode} {result.ReasonPhrase}.");
                    return 1;
                }
            }
            catch (OperationCanceledException)
            {
                var why = host.LinkError is { } e ? ServeCommand.OneLine(e.Message)
                    : signal.Received is { } s ? $"{s} received, transfer abandoned."
                    : $"no answer within {timeout} s.";
                Console.Error.WriteLine($"rxtcp fetch: {why}");
                return 1;
            }
            catch (Exception e) when (e is TcpException or HttpFormatException or IOException)
            {
                Console.Error.WriteLine($"rxtcp fetch: {url.Authority}: {ServeCommand.OneLine(e.Message)}");
                return 1;
            }
        }
    }
}
