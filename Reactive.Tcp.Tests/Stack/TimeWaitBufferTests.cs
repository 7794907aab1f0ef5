using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Tcp;
using Xunit;

namespace Reactive.Tcp.Tests.Stack;

public sealed class TimeWaitBufferTests
{
    [Fact]
    public void A_connection_in_time_wait_holds_no_send_or_receive_storage()
    {
        using var rig = new TwoStackHarness();
        var one = new byte[] { 1 };
        rig.Server.Listen(80).Subscribe(s => s.Received.Subscribe(_ => s.Send(one).Subscribe(_ => { }), _ => { }, s.Close));
        rig.Scheduler.AdvanceBy(1);
        TcpConnection? client = null;
        bool responded = false;
        rig.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(c =>
        {
            client = c;
            c.Received.Subscribe(_ => { responded = true; c.Close(); }, _ => { });
            c.Send(one).Subscribe(_ => { });
        });

        // Data moved both ways, so both rings were rented while the connection was open.
        rig.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(50).Ticks);

        Assert.True(responded);
        Assert.NotNull(client);
        Assert.Equal(TcpState.TimeWait, rig.Client.StateOf(client!.Key));
        Assert.False(rig.Client.HoldsBuffers(client.Key));
    }
}
