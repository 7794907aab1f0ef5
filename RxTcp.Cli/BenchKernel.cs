using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RxTcp.Cli;

/// <summary>
/// The kernel baseline of <c>rxtcp bench</c>: the same workloads over System.Net.Sockets on the
/// loopback interface (127.0.0.1 only), blocking calls on one thread per end, Nagle off where a
/// single byte must leave at once.
/// </summary>
internal static class BenchKernel
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>Bulk transfer client → server over loopback; bytes per second, after a warm-up transfer on the same connection.</summary>
    public static double Throughput(long bytes, long warmup, int chunk)
    {
        using var listener = Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        var data = new byte[chunk];
        new Random(1).NextBytes(data);

        TimeSpan Transfer(long count)
        {
            var wall = Stopwatch.StartNew();
            var reader = Task.Factory.StartNew(() =>
            {
                var buffer = new byte[256 * 1024];
                long got = 0;
                while (got < count)
                {
                    int n = server.Receive(buffer, 0, (int)Math.Min(buffer.Length, count - got), SocketFlags.None);
                    if (n == 0) throw new IOException("The kernel connection closed early.");
                    got += n;
                }
            }, TaskCreationOptions.LongRunning);
            for (long sent = 0; sent < count;)
            {
                int n = (int)Math.Min(chunk, count - sent);
                client.Send(data, 0, n, SocketFlags.None);
                sent += n;
            }
            if (!reader.Wait(Patience)) throw new TimeoutException("The kernel transfer did not finish in time.");
            return wall.Elapsed;
        }

        Transfer(warmup);
        return bytes / Transfer(bytes).TotalSeconds;
    }

    /// <summary>1-byte ping-pong over loopback; round-trip times in microseconds, warm-up rounds excluded.</summary>
    public static double[] PingPong(int rounds, int warmup)
    {
        using var listener = Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        server.NoDelay = true;
        int total = rounds + warmup;
        var echo = Task.Factory.StartNew(() =>
        {
            var b = new byte[1];
            for (int i = 0; i < total; i++)
            {
                if (server.Receive(b) != 1) return;
                server.Send(b);
            }
        }, TaskCreationOptions.LongRunning);

        var rtts = new double[rounds];
        var one = new byte[] { 42 };
        var reply = new byte[1];
        for (int i = -warmup; i < rounds; i++)
        {
            long start = Stopwatch.GetTimestamp();
            client.Send(one);
            if (client.Receive(reply) != 1) throw new IOException("The kernel echo stopped.");
            if (i >= 0) rtts[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        echo.Wait(Patience);
        return rtts;
    }

    /// <summary>Connect, 1-byte request, 1-byte response, the client closes, the server closes on EOF, the client reads EOF; per second.</summary>
    /// <returns>Connections per second, and this process's CPU time (all threads, the kernel's TCP work done in them included) per connection over the measured part, in microseconds.</returns>
    public static (double PerSecond, double CpuMicrosecondsPerConnection) Connections(TimeSpan duration, TimeSpan warmup)
    {
        using var listener = Listen(backlog: 1024);
        var endpoint = listener.LocalEndPoint!;
        using var stop = new CancellationTokenSource();
        var server = Task.Factory.StartNew(() =>
        {
            var b = new byte[1];
            while (!stop.IsCancellationRequested)
            {
                Socket s;
                try
                {
                    s = listener.Accept();
                }
                catch (SocketException)
                {
                    return;
                }
                using (s)
                {
                    s.NoDelay = true;
                    if (s.Receive(b) == 1) s.Send(b);
                    while (s.Receive(b) != 0)
                    {
                    }
                    s.Shutdown(SocketShutdown.Send);
                }
            }
        }, TaskCreationOptions.LongRunning);

        var wall = Stopwatch.StartNew();
        long completed = 0, measuredFrom = -1;
        double cpuFrom = 0;
        var one = new byte[] { 1 };
        var reply = new byte[1];
        while (wall.Elapsed < warmup + duration)
        {
            if (measuredFrom < 0 && wall.Elapsed >= warmup)
            {
                measuredFrom = completed;
                cpuFrom = BenchRxTcp.ProcessCpuSeconds();
            }
            using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            c.Connect(endpoint);
            c.Send(one);
            if (c.Receive(reply) != 1) throw new IOException("No response from the kernel server.");
            c.Shutdown(SocketShutdown.Send);
            while (c.Receive(reply) != 0)
            {
            }
            completed++;
        }
        double cpuTo = BenchRxTcp.ProcessCpuSeconds();
        stop.Cancel();
        listener.Close();
        server.Wait(Patience);
        long measured = completed - Math.Max(0, measuredFrom);
        return (measured / duration.TotalSeconds, (cpuTo - cpuFrom) * 1e6 / Math.Max(1, measured));
    }

    /// <summary>
    /// Opens <paramref name="count"/> idle loopback socket pairs and measures (process GC heap delta,
    /// process working-set delta, kernel slab delta) per pair in bytes.
    /// </summary>
    public static (double GcBytes, double WorkingSetBytes, double KernelBytes) IdleConnections(int count)
    {
        // One listening port gives one client address about 28,000 ephemeral ports; Linux reuses a
        // local port for different remote ports, so a few listeners carry 100,000 pairs.
        const int PerListener = 20_000;
        var listeners = new List<Socket>();
        var sockets = new List<Socket>(count * 2);
        var before = BenchMemory.Snapshot();
        try
        {
            for (int opened = 0; opened < count; opened += PerListener)
            {
                var listener = Listen(backlog: 4096);
                listeners.Add(listener);
                int batch = Math.Min(PerListener, count - opened);
                var endpoint = listener.LocalEndPoint!;
                for (int i = 0; i < batch; i++)
                {
                    var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    c.Connect(endpoint);
                    sockets.Add(c);
                    sockets.Add(listener.Accept());
                }
            }
            var after = BenchMemory.Snapshot();
            return ((after.GcHeap - before.GcHeap) / (double)count,
                    (after.WorkingSet - before.WorkingSet) / (double)count,
                    (after.KernelSlab - before.KernelSlab) / (double)count);
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
            foreach (var l in listeners) l.Dispose();
        }
    }

    private static Socket Listen(int backlog = 16)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(backlog);
        return listener;
    }
}
