using System.Diagnostics;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Security.Cryptography;
using System.Text;
using Reactive.Tcp.Api;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>The Linux kernel's TCP as the peer of RxTcp over a TUN device, inside a private namespace.</summary>
[Collection(LinuxInteropCollection.Name)]
public class KernelPeerTests(ITestOutputHelper output)
{
    private const int Big = 64 * 1024 * 1024;
    private const int Chunk = 64 * 1024;
    private static readonly TimeSpan TransferLimit = TimeSpan.FromMinutes(3);

    [LinuxRootFact]
    public void Kernel_ping_is_answered_by_the_stack()
    {
        Interop.EnsureTool("ping", "iputils-ping");
        using var rig = new TunInterop();
        var ping = rig.Namespace.Run("ping", "-c", "3", "-i", "0.2", "-W", "1", TunInterop.StackAddress.ToString());
        output.WriteLine(ping.StandardOutput);
        Assert.True(ping.Succeeded, ping + " " + rig.Diagnostics());
        Assert.Contains("3 received", ping.StandardOutput);
        Assert.True(rig.Stack.Counters.EchoReplies >= 3, rig.Diagnostics());
    }

    [LinuxRootFact]
    public async Task Kernel_socket_uploads_64_MiB_to_an_RxTcp_server()
    {
        using var rig = new TunInterop();
        var data = Interop.RandomBytes(Big, seed: 1);
        var expected = Interop.Sha256(data);

        // The server hashes what arrives and, at the client's FIN, answers with the hash and closes.
        long serverBytes = 0;
        using var listener = rig.Stack.Listen(9).Subscribe(c =>
        {
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            c.Received.Subscribe(
                m => { hash.AppendData(m.Span); serverBytes += m.Length; },
                e => output.WriteLine($"server receive failed: {e.Message}"),
                () => c.Send(Encoding.ASCII.GetBytes(Convert.ToHexString(hash.GetHashAndReset()))).Subscribe(_ => { }, _ => { }, c.Close));
        });

        using var socket = rig.KernelSocket();
        var watch = Stopwatch.StartNew();
        await socket.ConnectAsync(TunInterop.Endpoint(TunInterop.StackAddress, 9)).Within(TimeSpan.FromSeconds(10), rig, "connect");
        var upload = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += Chunk)
                await socket.SendAsync(data.AsMemory(offset, Math.Min(Chunk, data.Length - offset)));
            socket.Shutdown(SocketShutdown.Send);
        });
        await upload.Within(TransferLimit, rig, "64 MiB upload");
        var uploaded = watch.Elapsed;
        var reply = await ReadToEnd(socket).Within(TimeSpan.FromSeconds(30), rig, "hash reply");
        watch.Stop();

        output.WriteLine($"kernel → RxTcp: {Interop.Rate(Big, watch.Elapsed)} (send buffer drained after {uploaded.TotalSeconds:0.00} s)");
        output.WriteLine(rig.Diagnostics());
        Assert.Equal(Big, serverBytes);
        Assert.Equal(expected, Encoding.ASCII.GetString(reply));
    }

    [LinuxRootFact]
    public async Task Curl_downloads_64_MiB_from_an_RxTcp_http_server()
    {
        using var rig = new TunInterop();
        var body = Interop.RandomBytes(Big, seed: 2);
        using var listener = rig.Stack.Listen(80).Subscribe(c => ServeOneFile(c, body));

        var file = Path.Combine(Path.GetTempPath(), $"rxt-curl-{Guid.NewGuid():N}.bin");
        try
        {
            var watch = Stopwatch.StartNew();
            var curl = await Task.Run(() => rig.Namespace.Run(TransferLimit, "curl", "-sS", "--fail", "-o", file,
                "-w", "%{http_code} %{size_download} %{speed_download}", $"http://{TunInterop.StackAddress}/big.bin"));
            watch.Stop();
            output.WriteLine($"curl: {curl.StandardOutput} {curl.StandardError}");
            output.WriteLine($"RxTcp → kernel (curl): {Interop.Rate(Big, watch.Elapsed)} (including curl start-up)");
            output.WriteLine(rig.Diagnostics());
            Assert.True(curl.Succeeded, curl + " " + rig.Diagnostics());
            Assert.Equal(Big, new FileInfo(file).Length);
            Assert.Equal(Interop.Sha256(body), Interop.Sha256(File.ReadAllBytes(file)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [LinuxRootFact]
    public async Task RxTcp_client_downloads_64_MiB_from_python_http_server()
    {
        using var rig = new TunInterop();
        var directory = Directory.CreateTempSubdirectory("rxt-http-");
        try
        {
            var body = Interop.RandomBytes(Big, seed: 3);
            File.WriteAllBytes(Path.Combine(directory.FullName, "big.bin"), body);
            using var server = rig.Namespace.Start("python3", "-m", "http.server", "8000", "--bind", TunInterop.KernelAddress.ToString(), "--directory", directory.FullName);
            rig.WaitForKernelPort(8000, TimeSpan.FromSeconds(20));

            var watch = Stopwatch.StartNew();
            var connection = await rig.Stack.Connect(TunInterop.KernelAddress, 8000).FirstAsync().ToTask().Within(TimeSpan.FromSeconds(10), rig, "connect");
            var received = new MemoryStream(Big + 4096);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.Received.Subscribe(m => received.Write(m.Span), e => done.TrySetException(e), () => done.TrySetResult());
            connection.Send(Encoding.ASCII.GetBytes($"GET /big.bin HTTP/1.0\r\nHost: {TunInterop.KernelAddress}:8000\r\n\r\n")).Subscribe();
            await done.Task.Within(TransferLimit, rig, "64 MiB download");
            watch.Stop();
            connection.Close();

            var (status, content) = SplitHttp(received.GetBuffer().AsMemory(0, (int)received.Length));
            output.WriteLine($"kernel → RxTcp (python http.server): {Interop.Rate(content.Length, watch.Elapsed)}; {status}");
            output.WriteLine(rig.Diagnostics());
            Assert.StartsWith("HTTP/1.0 200", status);
            Assert.Equal(Big, content.Length);
            Assert.Equal(Interop.Sha256(body), Interop.Sha256(content.Span));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [LinuxRootFact]
    public async Task RxTcp_client_uploads_64_MiB_to_a_kernel_socket_server()
    {
        using var rig = new TunInterop();
        var data = Interop.RandomBytes(Big, seed: 4);
        using var listenSocket = rig.KernelSocket();
        listenSocket.Bind(TunInterop.Endpoint(TunInterop.KernelAddress, 5001));
        listenSocket.Listen(16);
        var server = Task.Run(async () =>
        {
            using var accepted = await listenSocket.AcceptAsync();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[256 * 1024];
            long total = 0;
            int n;
            while ((n = await accepted.ReceiveAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                total += n;
            }
            accepted.Shutdown(SocketShutdown.Send);
            return (total, Convert.ToHexString(hash.GetHashAndReset()));
        });

        var watch = Stopwatch.StartNew();
        var connection = await rig.Stack.Connect(TunInterop.KernelAddress, 5001).FirstAsync().ToTask().Within(TimeSpan.FromSeconds(10), rig, "connect");
        connection.Received.Subscribe(_ => { }, _ => { });
        var sent = Enumerable.Range(0, Big / Chunk).Select(i => (ReadOnlyMemory<byte>)data.AsMemory(i * Chunk, Chunk)).ToObservable()
            .Select(connection.Send).Concat().LastOrDefaultAsync().ToTask();
        await sent.Within(TransferLimit, rig, "queueing 64 MiB");
        connection.Close();
        var (total, hash) = await server.Within(TransferLimit, rig, "64 MiB upload");
        watch.Stop();

        output.WriteLine($"RxTcp → kernel (socket): {Interop.Rate(total, watch.Elapsed)}");
        output.WriteLine(rig.Diagnostics());
        Assert.Equal(Big, total);
        Assert.Equal(Interop.Sha256(data), hash);
    }

    [LinuxRootFact]
    public async Task Two_hundred_fifty_concurrent_kernel_connections_to_one_listener()
    {
        const int count = 250;
        using var rig = new TunInterop();
        using var listener = rig.Stack.Listen(7).Subscribe(Echo);

        var sockets = Enumerable.Range(0, count).Select(_ => rig.KernelSocket()).ToArray();
        try
        {
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(sockets.Select(s => s.ConnectAsync(TunInterop.Endpoint(TunInterop.StackAddress, 7)))).Within(TimeSpan.FromSeconds(30), rig, "connecting");
            var connected = watch.Elapsed;

            // Every connection stays open while all exchange data, so all are alive at once.
            var exchanges = sockets.Select(async (s, i) =>
            {
                var message = Interop.RandomBytes(1000 + i, seed: 100 + i);
                await s.SendAsync(message);
                var echoed = new byte[message.Length];
                int got = 0;
                while (got < echoed.Length)
                {
                    int n = await s.ReceiveAsync(echoed.AsMemory(got));
                    if (n == 0) throw new IOException($"connection {i} closed after {got} bytes");
                    got += n;
                }
                Assert.Equal(message, echoed);
            });
            await Task.WhenAll(exchanges).Within(TimeSpan.FromSeconds(60), rig, "echo on every connection");
            var alive = rig.Stack.ConnectionCount;

            foreach (var s in sockets) s.Shutdown(SocketShutdown.Send);
            await Task.WhenAll(sockets.Select(ReadToEnd)).Within(TimeSpan.FromSeconds(60), rig, "graceful close of every connection");
            var deadline = Stopwatch.StartNew();
            while (rig.Stack.ConnectionCount > 0 && deadline.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
            watch.Stop();

            output.WriteLine($"{count} connections: connected in {connected.TotalMilliseconds:0} ms, all echoed and closed in {watch.Elapsed.TotalMilliseconds:0} ms; {alive} alive at the peak");
            output.WriteLine(rig.Diagnostics());
            Assert.Equal(count, alive);
            Assert.Equal(0, rig.Stack.ConnectionCount);
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    /// <summary>An echo server: each received chunk is sent back in order; the client's FIN is answered with ours after the last byte.</summary>
    private static void Echo(TcpConnection c) =>
        c.Received.Select(m => m.ToArray()).Select(b => c.Send(b)).Concat()
            .Subscribe(_ => { }, _ => c.Abort(), c.Close);

    /// <summary>A one-shot HTTP/1.1 server: after the request head, the body with Content-Length, then close.</summary>
    private static void ServeOneFile(TcpConnection c, byte[] body)
    {
        var head = new StringBuilder();
        var answered = false;
        c.Received.Subscribe(m =>
        {
            if (answered) return;
            head.Append(Encoding.ASCII.GetString(m.Span));
            if (!head.ToString().Contains("\r\n\r\n")) return;
            answered = true;
            var header = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            var pieces = new[] { (ReadOnlyMemory<byte>)header }.Concat(Enumerable.Range(0, (body.Length + Chunk - 1) / Chunk)
                .Select(i => (ReadOnlyMemory<byte>)body.AsMemory(i * Chunk, Math.Min(Chunk, body.Length - i * Chunk))));
            pieces.ToObservable().Select(c.Send).Concat().Subscribe(_ => { }, _ => c.Abort(), c.Close);
        }, _ => { });
    }

    private static (string Status, ReadOnlyMemory<byte> Body) SplitHttp(ReadOnlyMemory<byte> response)
    {
        int end = response.Span.IndexOf("\r\n\r\n"u8);
        Assert.True(end > 0, "no HTTP header in the response");
        var header = Encoding.ASCII.GetString(response.Span[..end]);
        return (header.Split("\r\n")[0], response[(end + 4)..]);
    }

    private static async Task<byte[]> ReadToEnd(Socket socket)
    {
        var result = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0) result.Write(buffer, 0, n);
        return result.ToArray();
    }
}
