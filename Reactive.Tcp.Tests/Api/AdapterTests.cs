using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Reactive.Tcp.Api;
using Reactive.Tcp.Links;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tests.Integration;
using Reactive.Tcp.Tests.Stack;
using Xunit;

namespace Reactive.Tcp.Tests.Api;

/// <summary>Stream and pipe adapters with real consumers, on a real-time event loop (<see cref="RealTimeStacks"/>).</summary>
public class AdapterTests
{
    [Fact]
    public async Task CopyToAsync_moves_a_megabyte_through_streams_and_ends_at_fin()
    {
        using var stacks = new RealTimeStacks();
        var (server, client) = (stacks.Server, stacks.Client);
        var accepted = new TaskCompletionSource<TcpConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = server.Listen(9).Subscribe(c => accepted.TrySetResult(c));
        var connection = await ConnectAsync(client, 9);
        var serverConnection = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var payload = RandomNumberGenerator.GetBytes(1 << 20);
        var sink = new MemoryStream();
        var copy = serverConnection.AsStream().CopyToAsync(sink);
        await using (var stream = connection.AsStream())
        {
            await new MemoryStream(payload).CopyToAsync(stream);
        } // disposing sends FIN, which ends CopyToAsync on the other side
        await copy.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(sink.ToArray()));
    }

    [Fact]
    public async Task PipeReader_loop_reads_lines_written_through_a_PipeWriter()
    {
        using var stacks = new RealTimeStacks();
        var (server, client) = (stacks.Server, stacks.Client);
        var accepted = new TaskCompletionSource<TcpConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = server.Listen(7).Subscribe(c => accepted.TrySetResult(c));
        var connection = await ConnectAsync(client, 7);
        var serverPipe = (await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10))).AsDuplexPipe();
        var clientPipe = connection.AsDuplexPipe();

        for (int i = 0; i < 100; i++)
        {
            var line = System.Text.Encoding.ASCII.GetBytes($"line {i}\n");
            await clientPipe.Output.WriteAsync(line);
        }
        await clientPipe.Output.CompleteAsync();

        int lines = 0;
        while (true)
        {
            var result = await serverPipe.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            var buffer = result.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                Assert.Equal($"line {lines}", System.Text.Encoding.ASCII.GetString(buffer.Slice(0, end).ToArray()));
                lines++;
                buffer = buffer.Slice(buffer.GetPosition(1, end));
            }
            serverPipe.Input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) break;
        }
        Assert.Equal(100, lines);
    }

    [Fact]
    public async Task Cancelled_read_throws_and_the_connection_still_works()
    {
        using var stacks = new RealTimeStacks();
        var (server, client) = (stacks.Server, stacks.Client);
        var accepted = new TaskCompletionSource<TcpConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = server.Listen(7).Subscribe(c => accepted.TrySetResult(c));
        var connection = await ConnectAsync(client, 7);
        var serverStream = (await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10))).AsStream();

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var buffer = new byte[16];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serverStream.ReadAsync(buffer, cts.Token).AsTask());

        await connection.SendAsync("ok"u8.ToArray());
        int n = await serverStream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("ok", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
    }

    private static Task<TcpConnection> ConnectAsync(TcpStack client, ushort port)
    {
        var done = new TaskCompletionSource<TcpConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connect(TwoStackHarness.ServerAddress, port).Subscribe(c => done.TrySetResult(c), e => done.TrySetException(e));
        return done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
