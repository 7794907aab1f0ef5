using System.Diagnostics;
using System.Globalization;
using Reactive.Tcp.Linux;

namespace RxTcp.Cli;

/// <summary>The servers <c>rxtcp bench http</c> compares, each in a setup of fresh network namespaces.</summary>
internal enum BenchHttpServerKind
{
    /// <summary><c>rxtcp serve http</c> on a TUN device; the load tools run in the device's namespace.</summary>
    RxTcp,

    /// <summary>The same with <c>--offload</c> (virtio header, checksum/TSO4).</summary>
    RxTcpOffload,

    /// <summary>nginx on kernel TCP in a server namespace, joined to the client's by a veth pair.</summary>
    Nginx,

    /// <summary><c>rxtcp serve kestrel</c>: Kestrel on RxTcp on a TUN device.</summary>
    KestrelRxTcp,

    /// <summary>The same Kestrel application on kernel sockets, in a server namespace behind a veth pair.</summary>
    KestrelSockets,
}

/// <summary>
/// One server started for one measurement, and the namespaces around it: the client namespace
/// (where wrk, ab and curl run; kernel side 192.0.2.1) and the server at 192.0.2.2:80, either a
/// stack on a TUN device in that same namespace or a kernel server in a second namespace across a
/// veth pair (MTU 1500 both ways). Everything is made fresh and removed on <see cref="Dispose"/>:
/// the server process is stopped by its PID, then the namespaces are deleted, which removes the
/// devices.
/// </summary>
internal sealed class BenchHttpServer : IDisposable
{
    public const string ClientAddress = "192.0.2.1";
    public const string ServerAddress = "192.0.2.2";
    public const string NamespacePrefix = "rxb-http";
    private const string TunDevice = "rxb0";
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    private readonly NetworkNamespace? _serverNs;
    private readonly NamespaceProcess _process;

    private BenchHttpServer(BenchHttpServerKind kind, NetworkNamespace client, NetworkNamespace? server, NamespaceProcess process)
    {
        Kind = kind;
        Client = client;
        _serverNs = server;
        _process = process;
    }

    public BenchHttpServerKind Kind { get; }

    /// <summary>The namespace the load tools run in.</summary>
    public NetworkNamespace Client { get; }

    /// <summary>Whether the server is RxTcp on a TUN device (which has queue counters).</summary>
    public bool OnTun => _serverNs is null;

    /// <summary>Starts <paramref name="kind"/> serving <paramref name="files"/> and waits until it answers.</summary>
    public static BenchHttpServer Start(BenchHttpServerKind kind, string files, string scratch, int queues, CancellationToken cancel)
    {
        var client = NetworkNamespace.Create(NamespacePrefix);
        NetworkNamespace? server = null;
        NamespaceProcess? process = null;
        try
        {
            switch (kind)
            {
                case BenchHttpServerKind.RxTcp:
                case BenchHttpServerKind.RxTcpOffload:
                case BenchHttpServerKind.KestrelRxTcp:
                    var app = kind == BenchHttpServerKind.KestrelRxTcp ? "kestrel" : "http";
                    string[] extra = kind == BenchHttpServerKind.RxTcpOffload ? ["--offload"] : [];
                    string[] queueArgs = kind == BenchHttpServerKind.KestrelRxTcp || queues == 1 ? [] : ["--queues", queues.ToString(CultureInfo.InvariantCulture)];
                    process = client.Start([.. Rxtcp(), "serve", "--tun", TunDevice, "--ip", ServerAddress, "--peer", ClientAddress, .. extra, app, "--root", files, .. queueArgs]);
                    break;
                case BenchHttpServerKind.Nginx:
                    server = Veth(client);
                    var config = NginxConfig(files, scratch);
                    process = server.Start("nginx", "-e", Path.Combine(scratch, "nginx-error.log"), "-p", scratch, "-c", config);
                    break;
                case BenchHttpServerKind.KestrelSockets:
                    server = Veth(client);
                    process = server.Start([.. Rxtcp(), "bench", "kestrel-sockets", "--address", ServerAddress, "--port", "80", "--root", files]);
                    break;
            }
            var started = new BenchHttpServer(kind, client, server, process!);
            started.WaitUntilServing(cancel);
            return started;
        }
        catch
        {
            process?.Dispose();
            server?.Dispose();
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Peak resident memory of the server: the high-water mark (<c>VmHWM</c>) of its process, and
    /// for nginx of the master and its workers added up.
    /// </summary>
    public long PeakRssBytes()
    {
        long total = 0;
        foreach (var pid in new[] { _process.Id }.Concat(Descendants(_process.Id)))
            total += StatusKib(pid, "VmHWM:") * 1024;
        return total;
    }

    /// <summary>Packets the kernel dropped at the TUN device's queue (null for kernel servers).</summary>
    public long? DeviceDrops()
    {
        if (!OnTun) return null;
        var dev = Client.Run(TimeSpan.FromSeconds(10), "cat", "/proc/net/dev");
        return dev.Succeeded ? TunDeviceCounters.Parse(dev.StandardOutput, TunDevice)?.TxDropped : null;
    }

    /// <summary>What the server printed (for failure messages).</summary>
    public string Output => _process.Output;

    public void Dispose()
    {
        _process.Dispose();
        _serverNs?.Dispose();
        Client.Dispose();
    }

    /// <summary>This program, as a command line: the apphost, or <c>dotnet rxtcp.dll</c>.</summary>
    public static string[] Rxtcp()
    {
        var path = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? [path, Path.Combine(AppContext.BaseDirectory, "rxtcp.dll")]
            : [path];
    }

    private void WaitUntilServing(CancellationToken cancel)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (_process.HasExited)
                throw new TunException($"{Kind} exited ({_process.ExitCode}) before serving: {ServeCommand.OneLine(_process.Output)}");
            if (Client.Invoke(Answers200)) return;
            if (watch.Elapsed > StartLimit)
                throw new TimeoutException($"{Kind} did not answer within {StartLimit.TotalSeconds:0} s: {ServeCommand.OneLine(_process.Output)}");
            Thread.Sleep(200);
        }
    }

    /// <summary>One GET from a kernel socket (on a thread inside the client namespace): does the server answer 200?</summary>
    private static bool Answers200()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
        {
            SendTimeout = 2000,
            ReceiveTimeout = 2000,
        };
        try
        {
            var connect = socket.BeginConnect(System.Net.IPAddress.Parse(ServerAddress), 80, null, null);
            if (!connect.AsyncWaitHandle.WaitOne(2000)) return false;
            socket.EndConnect(connect);
            socket.Send("GET /1k.bin HTTP/1.0\r\n\r\n"u8);
            var buffer = new byte[64];
            int n = socket.Receive(buffer);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>A server namespace joined to <paramref name="client"/> by a veth pair; neither end ever exists in the root namespace.</summary>
    private static NetworkNamespace Veth(NetworkNamespace client)
    {
        var server = NetworkNamespace.Create(NamespacePrefix);
        try
        {
            client.Run("ip", "link", "add", "rxb-c", "type", "veth", "peer", "name", "rxb-s", "netns", server.Name).EnsureSuccess();
            foreach (var (ns, device, address) in new[] { (client, "rxb-c", ClientAddress), (server, "rxb-s", ServerAddress) })
            {
                ns.Run("sysctl", "-qw", $"net.ipv6.conf.{device}.disable_ipv6=1");
                ns.Run("ip", "addr", "add", address + "/24", "dev", device).EnsureSuccess();
                ns.Run("ip", "link", "set", device, "mtu", "1500", "up").EnsureSuccess();
            }
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Writes nginx's configuration for this run into <paramref name="scratch"/> and returns its path.</summary>
    private static string NginxConfig(string files, string scratch)
    {
        var path = Path.Combine(scratch, "nginx.conf");
        File.WriteAllText(path, $$"""
            # Written by rxtcp bench http: static files from {{files}} on {{ServerAddress}}:80.
            daemon off;
            master_process on;
            worker_processes auto;
            user root root;
            pid {{Path.Combine(scratch, "nginx.pid")}};
            error_log {{Path.Combine(scratch, "nginx-error.log")}} error;
            worker_rlimit_nofile 65536;
            events { worker_connections 16384; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                tcp_nodelay on;
                keepalive_timeout 65;
                keepalive_requests 1000000;
                default_type application/octet-stream;
                client_body_temp_path {{Path.Combine(scratch, "nginx-body")}};
                server {
                    listen {{ServerAddress}}:80 backlog=4096;
                    root {{files}};
                }
            }
            """);
        return path;
    }

    private static IEnumerable<int> Descendants(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int id)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(id);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Gone meanwhile.
            }
        }
        var pending = new Stack<int>([pid]);
        while (pending.Count > 0)
        {
            foreach (var child in children.GetValueOrDefault(pending.Pop()) ?? [])
            {
                yield return child;
                pending.Push(child);
            }
        }
    }

    private static long StatusKib(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return 0;
    }
}
