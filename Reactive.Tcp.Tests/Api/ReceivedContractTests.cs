using Xunit;
using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Stack;

namespace Reactive.Tcp.Tests.Api;

/// <summary>
/// <see cref="TcpConnection.Received"/> hands out slices of the receive buffer that are valid only
/// during OnNext; <see cref="TcpConnection.ReceivedCopies"/> and the stream adapter give bytes
/// that may be kept. A small receive buffer makes the ring wrap many times over the transfer.
/// </summary>
public sealed class ReceivedContractTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TcpConfig SmallBuffers = TcpConfig.Default with { SendBufferSize = 3000, ReceiveBufferSize = 3000, WindowScaling = false };

    private static byte[] Payload(int length)
    {
        var data = new byte[length];
        new Random(7).NextBytes(data);
        return data;
    }

    private static (TcpConnection Server, TcpConnection Client) Connect(TwoStackHarness h, Action<TcpConnection> onServer)
    {
        TcpConnection? server = null, client = null;
        h.Server.Listen(80).Subscribe(c => { server = c; onServer(c); });
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(c => client = c);
        h.Scheduler.AdvanceBy(Second.Ticks);
        Assert.NotNull(server);
        Assert.NotNull(client);
        return (server!, client!);
    }

    [Fact]
    public void Received_chunks_are_slices_of_one_reused_buffer_so_a_kept_chunk_changes_later()
    {
        using var h = new TwoStackHarness(config: SmallBuffers);
        var data = Payload(30_000);
        var kept = new List<ReadOnlyMemory<byte>>();
        var copiedInOnNext = new MemoryStream();
        var (_, client) = Connect(h, c => c.Received.Subscribe(m => { kept.Add(m); copiedInOnNext.Write(m.Span); }));

        client.Send(data).Subscribe(_ => client.Close());
        h.Scheduler.AdvanceBy(60 * Second.Ticks);

        // Used inside OnNext, the bytes are exactly what was sent.
        Assert.Equal(data, copiedInOnNext.ToArray());
        // Kept past OnNext, they are whatever the buffer holds now: not the stream (the contract's warning).
        var keptBytes = kept.SelectMany(m => m.ToArray()).ToArray();
        Assert.Equal(data.Length, keptBytes.Length);
        Assert.NotEqual(data, keptBytes);
    }

    [Fact]
    public void ReceivedCopies_gives_chunks_that_stay_valid_after_OnNext()
    {
        using var h = new TwoStackHarness(config: SmallBuffers);
        var data = Payload(30_000);
        var kept = new List<ReadOnlyMemory<byte>>();
        bool completed = false;
        var (_, client) = Connect(h, c => c.ReceivedCopies().Subscribe(kept.Add, () => completed = true));

        client.Send(data).Subscribe(_ => client.Close());
        h.Scheduler.AdvanceBy(60 * Second.Ticks);

        Assert.True(completed);
        Assert.True(kept.Count > 10, $"only {kept.Count} chunks: the buffer should have wrapped many times");
        Assert.Equal(data, kept.SelectMany(m => m.ToArray()).ToArray());
    }

    [Fact]
    public async Task AsStream_reads_every_byte_intact_across_many_buffer_wraps()
    {
        using var h = new TwoStackHarness(config: SmallBuffers);
        var data = Payload(30_000);
        var (server, client) = Connect(h, _ => { });
        using var stream = server.AsStream();

        client.Send(data).Subscribe(_ => client.Close());
        var read = new MemoryStream();
        var buffer = new byte[1000]; // smaller than a segment: deliveries straddle reads
        for (int turn = 0; turn < 10_000; turn++)
        {
            var pending = stream.ReadAsync(buffer).AsTask();
            while (!pending.IsCompleted) h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
            int n = await pending;
            if (n == 0) break;
            read.Write(buffer, 0, n);
        }
        Assert.Equal(data, read.ToArray());
    }
}
