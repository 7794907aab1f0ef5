using System.CommandLine;
using System.Reactive.Disposables;
using Reactive.Tcp.Api;
using Reactive.Tcp.Linux;
using RxTcp.Cli.Apps;

namespace RxTcp.Cli;

/// <summary><c>rxtcp serve</c>: a stack on a TUN device running one of the small applications until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    private static readonly string[] Apps = ["echo", "discard", "chat", "http", "udp-echo", "kestrel"];
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    /// <summary>Builds the <c>serve</c> command.</summary>
    public static Command Create()
    {
        var tun = new TunOptions();
        var app = new Argument<string>("app")
        {
            Description = "What to serve: echo (TCP 7: sends back what it gets, closes after the client's FIN), "
                + "discard (TCP 9: reads and drops), chat (TCP 6667: minimart's chat room), "
                + "http (TCP 80: minimart's hit counter at /, and files under --root), "
                + "udp-echo (UDP 6667: answers \"You said: ...\"), "
                + "kestrel (TCP 80: ASP.NET Core's Kestrel on this stack, serving the files under --root with its static-files middleware).",
            HelpName = "echo|discard|chat|http|udp-echo|kestrel",
        };
        app.AcceptOnlyFromAmong(Apps);
        var port = new Option<int?>("--port", "-p")
        {
            Description = "Port to serve on. [default: the app's: echo 7, discard 9, chat 6667, http 80, udp-echo 6667]",
            HelpName = "n",
            CustomParser = r => TunOptions.ParseInt(r, "--port", 1, 65535),
        };
        var root = new Option<string?>("--root")
        {
            Description = "http and kestrel: serve the files below this directory (Content-Length, keep-alive; no listings, nothing outside it).",
            HelpName = "dir",
        };
        var queues = new Option<int>("--queues")
        {
            Description = "Open a multi-queue device (IFF_MULTI_QUEUE) with this many queues and run one complete stack per queue, each on its own reader, writer and event-loop threads, "
                + "all at --ip and all serving APP. The kernel keeps each connection on one queue (by its flow hash). For connections the kernel opens; a stack's own outgoing connections, and IP fragments, may reach another queue.",
            HelpName = "n",
            DefaultValueFactory = _ => 1,
            CustomParser = r => TunOptions.ParseInt(r, "--queues", 1, 64),
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log each connection as it opens and closes (stderr)." };
        var netstat = new Option<bool>("--netstat") { Description = "Print the live connection table as it changes (stdout): endpoints, state, send/receive queues, RTT, cwnd, and why each connection closed." };

        var command = new Command("serve",
            "Creates a TUN device, gives the kernel --peer on it, and runs an RxTcp stack at --ip serving APP, "
            + "until Ctrl-C or SIGTERM (then connections are closed, or reset after 2 s, and the device is removed). "
            + "Needs root, and a network namespace: run it under 'ip netns exec NS' or pass --netns NS.");
        tun.AddTo(command);
        command.Arguments.Add(app);
        command.Options.Add(port);
        command.Options.Add(root);
        command.Options.Add(queues);
        command.Options.Add(verbose);
        command.Options.Add(netstat);
        command.Validators.Add(result =>
        {
            if (result.GetResult(root) is not null && result.GetResult(app) is { Tokens.Count: > 0 } given
                && given.Tokens[0].Value is var a && a is not ("http" or "kestrel") && Apps.Contains(a))
                result.AddError($"--root only applies to the http and kestrel apps (not {a}).");
            if (result.GetResult(app) is { Tokens.Count: > 0 } k && k.Tokens[0].Value == "kestrel")
            {
                if (result.GetResult(root) is null) result.AddError("kestrel needs --root DIR (the files it serves).");
                if (TunOptions.Token(result.GetResult(queues)) is { } q && q != "1") result.AddError("kestrel runs on one stack: --queues must be 1.");
            }
        });
        command.SetAction(parse =>
        {
            var name = parse.GetValue(app)!;
            return Run(tun.Read(parse) with { Queues = parse.GetValue(queues) }, name, (ushort)(parse.GetValue(port) ?? DefaultPort(name)), parse.GetValue(root), parse.GetValue(verbose), parse.GetValue(netstat));
        });
        return command;
    }

    private static int DefaultPort(string app) => app switch
    {
        "echo" => EchoApp.DefaultPort,
        "discard" => DiscardApp.DefaultPort,
        "chat" => ChatApp.DefaultPort,
        "http" => HttpApp.DefaultPort,
        "kestrel" => KestrelApp.DefaultPort,
        _ => UdpEchoApp.DefaultPort,
    };

    private static int Run(TunSettings settings, string app, ushort port, string? root, bool verbose, bool netstat)
    {
        HttpApp? http = null;
        if (app == "http")
        {
            try
            {
                http = new HttpApp(root);
            }
            catch (DirectoryNotFoundException e)
            {
                Console.Error.WriteLine($"rxtcp serve: {e.Message}");
                return 2;
            }
        }

        using var signal = new ShutdownSignal();
        // Kestrel's socket transport turns Nagle off on every connection it accepts (NoDelay); RxTcp
        // decides that per stack (TcpConfig.NoDelay), so the stack under Kestrel is made that way.
        if (app == "kestrel") settings = settings with { Tcp = (settings.Tcp ?? Reactive.Tcp.Tcp.TcpConfig.Default) with { NoDelay = true } };
        if (!TunHost.TryOpen(settings, "rxtcp serve", out var host)) return 1;
        if (app == "kestrel")
        {
            using (host) return RunKestrel(host, signal, port, root!);
        }

        using (host)
        {
            // One printer, one service per stack (one stack per queue of the device), all serving the same app.
            using var tables = new CompositeDisposable(netstat ? host.Stacks.Select(s => (IDisposable)new NetstatPrinter(s, Console.Out)) : []);
            var services = new List<TcpService>();
            var udp = new List<IDisposable>();
            if (app == "udp-echo")
            {
                udp.AddRange(host.Stacks.Select(s => UdpEchoApp.Start(s, port)));
            }
            else
            {
                Action<TcpConnection> handler = app switch
                {
                    "echo" => EchoApp.Serve,
                    "discard" => DiscardApp.Serve,
                    "chat" => new ChatApp().Serve,
                    _ => http!.Serve,
                };
                foreach (var stack in host.Stacks)
                {
                    var service = new TcpService(stack, port, handler);
                    if (verbose) service.Connected += LogConnection;
                    services.Add(service);
                }
            }
            var protocol = app == "udp-echo" ? "UDP" : "TCP";
            Console.Error.WriteLine($"rxtcp serve: {app} on {protocol} {settings.StackAddress}:{port} ({host.Describe()}){(http?.Root is { } r ? $", files from {r}" : "")}. Ctrl-C or SIGTERM stops it.");

            WaitHandle.WaitAny([signal.Token.WaitHandle, host.LinkFailed.WaitHandle]);
            if (host.LinkError is { } failure)
            {
                services.ForEach(s => s.Dispose());
                udp.ForEach(u => u.Dispose());
                Console.Error.WriteLine($"rxtcp serve: {OneLine(failure.Message)}");
                return 1;
            }

            Console.Error.WriteLine($"rxtcp serve: {signal.Received} received, stopping ({services.Sum(s => s.Live)} connections open).");
            int reset = services.Select(s => s.ShutdownAsync(Grace)).ToArray() is var shutdowns && shutdowns.Length > 0
                ? Task.WhenAll(shutdowns).GetAwaiter().GetResult().Sum()
                : 0;
            udp.ForEach(u => u.Dispose());
            // Read before the device goes: what the kernel dropped on its way to the stack, and what we failed to write.
            var drops = host.DescribeDrops();
            var summary = services.Count == 0
                ? $"UDP port {port} unbound"
                : $"{services.Sum(s => s.Accepted)} connections served{(reset > 0 ? $", {reset} reset at shutdown" : "")}{(http is null ? "" : $", {http.Requests} HTTP requests")}";
            host.Dispose();
            Console.Error.WriteLine($"rxtcp serve: stopped; {summary}; {drops}; device {settings.Device} removed{(settings.PcapPath is { } p ? $"; {host.PcapPackets} packets in {p}" : "")}.");
        }
        return 0;
    }

    private static int RunKestrel(TunHost host, ShutdownSignal signal, ushort port, string root)
    {
        Microsoft.AspNetCore.Builder.WebApplication web;
        try
        {
            web = KestrelApp.StartAsync(host.Stack, port, root).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is DirectoryNotFoundException or IOException or InvalidOperationException)
        {
            Console.Error.WriteLine($"rxtcp serve: {OneLine(e.Message)}");
            return 1;
        }
        Console.Error.WriteLine($"rxtcp serve: kestrel on TCP {host.Settings.StackAddress}:{port} ({host.Describe()}, no-delay), files from {Path.GetFullPath(root)}. Ctrl-C or SIGTERM stops it.");
        WaitHandle.WaitAny([signal.Token.WaitHandle, host.LinkFailed.WaitHandle]);
        using var grace = new CancellationTokenSource(Grace);
        try
        {
            web.StopAsync(grace.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Connections still open after the grace period are dropped with the stack.
        }
        var drops = host.DescribeDrops();
        ((IDisposable)web).Dispose();
        if (host.LinkError is { } failure)
        {
            Console.Error.WriteLine($"rxtcp serve: {OneLine(failure.Message)}");
            return 1;
        }
        host.Dispose();
        Console.Error.WriteLine($"rxtcp serve: stopped; {drops}; device {host.Settings.Device} removed.");
        return 0;
    }

    private static void LogConnection(TcpConnection connection)
    {
        var key = connection.Key;
        Console.Error.WriteLine($"rxtcp serve: {key.RemoteAddress}:{key.RemotePort} connected");
        connection.States.Subscribe(_ => { }, _ => { }, () =>
            Console.Error.WriteLine($"rxtcp serve: {key.RemoteAddress}:{key.RemotePort} closed{(connection.Error is var e && e != Reactive.Tcp.Tcp.TcpError.None ? $" ({e})" : "")}"));
    }

    internal static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
}
