using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Security.Cryptography;
using Reactive.Tcp.Api;
using Reactive.Tcp.Tcp;
using RxTcp.Cli.Apps;
using Xunit;

namespace Reactive.Tcp.Tests.Apps;

public class EchoAndDiscardAppTests
{
    [Fact]
    public async Task Echo_returns_every_byte_and_closes_after_the_clients_half_close()
    {
        using var rig = new AppRig();
        using var service = new TcpService(rig.Server, EchoApp.DefaultPort, EchoApp.Serve);
        var connection = await rig.ConnectAsync(EchoApp.DefaultPort);
        var echoed = new Collector(connection);

        // More than all the buffers on the way (send, receive, both sides), so the echo must flow while we send.
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        for (int offset = 0; offset < data.Length; offset += 50_000)
            await connection.SendAsync(data.AsMemory(offset, Math.Min(50_000, data.Length - offset)));
        connection.Close(); // half-close: the rest is still echoed

        await echoed.Ended.WaitAsync(AppRig.Patience);
        Assert.Null(echoed.Error);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(echoed.Bytes));
        await connection.States.Where(s => s is TcpState.Closed or TcpState.TimeWait).FirstAsync().ToTask().WaitAsync(AppRig.Patience);
        Assert.Equal(1, service.Accepted);
    }

    // The stream adapter grants read credit only once the previous grant is used up, so a peer
    // that never reads makes the echo server's own reads stop and its receive window close.
    [Fact]
    public async Task Echo_closes_the_window_on_a_client_that_does_not_read()
    {
        using var rig = new AppRig();
        using var service = new TcpService(rig.Server, EchoApp.DefaultPort, EchoApp.Serve);
        var connection = await rig.ConnectAsync(EchoApp.DefaultPort);

        // Nobody reads the echo: what can be sent is bounded by the buffers, not by the server's memory.
        var data = new byte[4 * 1024 * 1024];
        var sending = connection.SendAsync(data);
        await Task.Delay(1000);
        Assert.False(sending.IsCompleted, $"4 MiB were accepted although nobody read a byte of the echo: {sending.Status} {sending.Exception?.InnerException?.Message}; client {connection.State}; delivered to the server {rig.Server.Counters.BytesDelivered}");

        var echoed = new Collector(connection); // start reading: everything moves again
        await sending.WaitAsync(AppRig.Patience);
        connection.Close();
        await echoed.Ended.WaitAsync(AppRig.Patience);
        Assert.Equal(data.Length, echoed.Bytes.Length);
    }

    [Fact]
    public async Task Discard_reads_everything_and_closes_after_the_client()
    {
        using var rig = new AppRig();
        using var service = new TcpService(rig.Server, DiscardApp.DefaultPort, DiscardApp.Serve);
        var connection = await rig.ConnectAsync(DiscardApp.DefaultPort);
        var reply = new Collector(connection);
        await connection.SendAsync(new byte[1024 * 1024]).WaitAsync(AppRig.Patience);
        connection.Close();
        await reply.Ended.WaitAsync(AppRig.Patience);
        Assert.Empty(reply.Bytes);
        Assert.Equal(1024 * 1024, rig.Server.Counters.BytesDelivered);
    }

    [Fact]
    public async Task Shutdown_closes_live_connections_and_resets_those_that_linger()
    {
        using var rig = new AppRig();
        var service = new TcpService(rig.Server, ChatApp.DefaultPort, new ChatApp().Serve);
        var polite = await rig.ConnectAsync(ChatApp.DefaultPort);
        var stubborn = await rig.ConnectAsync(ChatApp.DefaultPort);
        var politeText = new Collector(polite);
        var stubbornText = new Collector(stubborn);
        await stubbornText.WaitForTextAsync("Welcome");
        // The polite client answers the server's FIN with its own; the stubborn one never closes.
        politeText.Ended.ContinueWith(_ => polite.Close(), TaskScheduler.Default).Ignore();

        int reset = await service.ShutdownAsync(TimeSpan.FromMilliseconds(500));
        await stubbornText.Ended.WaitAsync(AppRig.Patience); // our FIN came through first

        Assert.True(reset == 1, $"reset {reset}; polite {polite.State}, stubborn {stubborn.State}, live {service.Live}");
        // States replays nothing once completed, so wait on the current value.
        await polite.States.LastOrDefaultAsync().ToTask().WaitAsync(AppRig.Patience);
        await stubborn.States.LastOrDefaultAsync().ToTask().WaitAsync(AppRig.Patience);
        Assert.True(polite.Error == TcpError.None, $"polite ended with {polite.Error}, stubborn with {stubborn.Error}, reset {reset}");
        Assert.Equal(TcpError.Reset, stubborn.Error);
        Assert.InRange(service.Live, 0, 1); // the polite one may still be in TIME-WAIT: the server closed first
        await Assert.ThrowsAsync<TcpException>(() => rig.ConnectAsync(ChatApp.DefaultPort)); // no longer listening
    }
}

internal static class TaskExtensions
{
    public static void Ignore(this Task task) { }
}
