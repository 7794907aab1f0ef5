using System.Diagnostics;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Reactive.Tcp.Api;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Tcp;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// Faults of the peer and of the device under a live transfer, over TUN inside a private
/// namespace: the Linux peer process is killed, the peer's namespace starts dropping everything,
/// the TUN device is deleted. Each time the application must hear of it (an error on its
/// observables) within a bounded time, and the stack must end with no connections.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public sealed class PeerFaultTests(ITestOutputHelper output)
{
    private const ushort SinkPort = 9000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    // Short retransmission limits, so a silent peer is given up on in seconds, not minutes.
    private static readonly TcpConfig Impatient = TcpConfig.Default with { MaxRetransmissions = 4, MaxRto = TimeSpan.FromSeconds(2) };

    // A kernel socket that serves one connection at a time, reading (and discarding) until the peer closes.
    private const string Sink =
        "import socket,sys\n" +
        "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind((sys.argv[1],int(sys.argv[2]))); s.listen(4)\n" +
        "while True:\n" +
        " c,_=s.accept()\n" +
        " while c.recv(65536): pass\n" +
        " c.close()\n";

    [LinuxRootFact]
    public async Task Killed_peer_process_resets_the_transfer()
    {
        using var rig = new TunInterop(Impatient);
        using var sink = StartSink(rig);
        var (connection, sending, received) = await StartUpload(rig);

        // SIGKILL by PID: the kernel closes the socket (FIN, or RST if unread data was left) and
        // answers our next segments with RST, since nobody owns the connection any more.
        Assert.Equal(0, Tmds.Linux.LibC.kill(sink.Id, Tmds.Linux.LibC.SIGKILL));
        var watch = Stopwatch.StartNew();
        var error = await Ended(sending, rig, "the send side after the peer was killed");
        output.WriteLine($"after kill: send failed with {error?.GetType().Name} {error?.Message} in {watch.Elapsed.TotalSeconds:0.00} s; {rig.Diagnostics()}");
        Assert.Equal(TcpError.Reset, Assert.IsType<TcpException>(error).Error);
        var receiveError = await Ended(received, rig, "the receive side after the peer was killed");
        output.WriteLine($"receive ended with {receiveError?.Message ?? "completion (the peer's FIN came first)"}");
        Assert.True(receiveError is null or TcpException { Error: TcpError.Reset }, receiveError?.ToString());
        await AssertNoConnections(rig);
        Assert.Equal(TcpError.Reset, connection.Error);
    }

    [LinuxRootFact]
    public async Task Peer_that_goes_silent_times_out()
    {
        using var rig = new TunInterop(Impatient);
        using var sink = StartSink(rig);
        var (connection, sending, received) = await StartUpload(rig);

        // The peer stays alive but its namespace drops everything, in and out: a dead path.
        foreach (var rule in new[] { "add table ip rxtsilent", "add chain ip rxtsilent in { type filter hook input priority 0; policy drop; }", "add chain ip rxtsilent out { type filter hook output priority 0; policy drop; }" })
        {
            var result = rig.Namespace.Run(["nft", .. rule.Split(' ')]);
            Assert.True(result.Succeeded, result.ToString());
        }
        var watch = Stopwatch.StartNew();
        var error = await Ended(received, rig, "the receive side after the peer went silent");
        output.WriteLine($"after silence: {error?.GetType().Name} {error?.Message} in {watch.Elapsed.TotalSeconds:0.00} s; {rig.Diagnostics()}");
        Assert.Equal(TcpError.TimedOut, Assert.IsType<TcpException>(error).Error);
        await Ended(sending, rig, "the send side after the peer went silent");
        await AssertNoConnections(rig);
        Assert.Equal(TcpError.TimedOut, connection.Error);
        Assert.True(sink.HasExited == false, "the peer process was meant to stay alive");
    }

    [LinuxRootFact]
    public async Task Deleted_tun_device_fails_connections_and_the_link()
    {
        using var rig = new TunInterop(Impatient);
        using var sink = StartSink(rig);
        var (connection, sending, received) = await StartUpload(rig);
        var linkEnded = rig.Link.Inbound.Materialize().Where(n => n.Kind != System.Reactive.NotificationKind.OnNext).FirstAsync().ToTask();
        long writeErrorsBefore = rig.Link.WriteErrors;

        var delete = rig.Namespace.Run("ip", "link", "del", TunInterop.DeviceName);
        Assert.True(delete.Succeeded, delete.ToString());
        var watch = Stopwatch.StartNew();
        var error = await Ended(received, rig, "the receive side after the device was deleted");
        output.WriteLine($"after ip link del: {error?.GetType().Name} {error?.Message} in {watch.Elapsed.TotalSeconds:0.00} s; {rig.Diagnostics()}");
        Assert.IsType<TcpException>(error);
        await Ended(sending, rig, "the send side after the device was deleted");
        var ending = await linkEnded.Within(Bound, rig, "the link's inbound after the device was deleted");
        output.WriteLine($"link inbound ended with {ending.Kind} {ending.Exception?.Message}");
        Assert.NotNull(rig.Stack.PipelineError);
        await AssertNoConnections(rig);
        Assert.Equal(TcpError.Aborted, connection.Error);

        // Sending after the device is gone is counted, never thrown.
        rig.Link.Send(new byte[] { 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 192, 0, 2, 2, 192, 0, 2, 1 });
        Assert.True(rig.Link.WriteErrors > writeErrorsBefore, rig.Diagnostics());

        // A connection attempt on the dead stack fails at once rather than hanging.
        var late = Outcome(rig.Stack.Connect(TunInterop.KernelAddress, SinkPort));
        Assert.IsType<TcpException>(await late.Within(Bound, rig, "a connection attempt after the device was deleted"));

        var dispose = Task.Run(rig.Dispose);
        Assert.Same(dispose, await Task.WhenAny(dispose, Task.Delay(Bound)));
    }

    private static NamespaceProcess StartSink(TunInterop rig)
    {
        var process = rig.Namespace.Start("python3", "-c", Sink, TunInterop.KernelAddress.ToString(), SinkPort.ToString());
        rig.WaitForKernelPort(SinkPort, TimeSpan.FromSeconds(20));
        return process;
    }

    /// <summary>
    /// Connects to the sink and keeps sending (each chunk queued once the previous one is buffered)
    /// until the connection fails; returns once some data has gone through.
    /// </summary>
    private static async Task<(TcpConnection Connection, Task<Exception?> Sending, Task<Exception?> Received)> StartUpload(TunInterop rig)
    {
        var connection = await rig.Stack.Connect(TunInterop.KernelAddress, SinkPort).FirstAsync().ToTask().Within(TimeSpan.FromSeconds(10), rig, "connect");
        var received = Outcome(connection.Received.Select(_ => 0));
        var chunk = Interop.RandomBytes(64 * 1024, seed: 5);
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int sent = 0;
        var sending = Outcome(Observable.Defer(() => connection.Send(chunk)).Repeat().Do(_ => { if (++sent == 8) flowing.TrySetResult(); }));
        await flowing.Task.Within(TimeSpan.FromSeconds(20), rig, "the first 512 KiB to the peer");
        return (connection, sending, received);
    }

    /// <summary>The error <paramref name="source"/> ends with, or <see langword="null"/> if it completes.</summary>
    private static Task<Exception?> Outcome<T>(IObservable<T> source)
    {
        var ended = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Subscribe(_ => { }, e => ended.TrySetResult(e), () => ended.TrySetResult(null));
        return ended.Task;
    }

    private static Task<Exception?> Ended(Task<Exception?> outcome, TunInterop rig, string what) => outcome.Within(Bound, rig, what);

    private static async Task AssertNoConnections(TunInterop rig)
    {
        var watch = Stopwatch.StartNew();
        while (rig.Stack.ConnectionCount != 0 && watch.Elapsed < Bound) await Task.Delay(50);
        Assert.True(rig.Stack.ConnectionCount == 0, rig.Diagnostics());
        Assert.Equal(0, rig.Stack.Connections.Count);
    }
}
