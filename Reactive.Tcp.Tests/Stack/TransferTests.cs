using Reactive.Tcp.Links;
using Reactive.Tcp.Tcp;
using Xunit;

namespace Reactive.Tcp.Tests.Stack;

public class TransferTests
{
    [Fact]
    public void Transfers_both_ways_and_both_sides_end_closed()
    {
        using var h = new TwoStackHarness();
        var (server, client) = h.Transfer(300_000, 200_000, seed: 7);
        Assert.Null(server.Error);
        Assert.Null(client.Error);
        Assert.True(server.ReceiveCompleted);
        Assert.True(client.ReceiveCompleted);
        Assert.Equal(client.SentHash, server.ReceivedHash);
        Assert.Equal(server.SentHash, client.ReceivedHash);
        Assert.Equal(0, h.Server.ConnectionCount);
        Assert.Equal(0, h.Client.ConnectionCount);
        Assert.Equal(TcpState.Closed, client.Connection!.State);
        Assert.Equal(0, h.Server.Counters.PipelineFaults);
        Assert.Equal(0, h.Client.Counters.PipelineFaults);
    }
}
