using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;
using Reactive.Tcp.Api;
using RxTcp.Cli.Apps;
using Xunit;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Apps;

public class UdpEchoAppTests
{
    [Fact]
    public async Task Each_datagram_is_answered_with_you_said()
    {
        using var rig = new AppRig();
        using var app = UdpEchoApp.Start(rig.Server);
        var reply = rig.Client.ReceiveUdp(40000).FirstAsync().ToTask();
        rig.Client.SendUdp(new UdpMessage(AppRig.ServerAddress, UdpEchoApp.DefaultPort, 40000, "hello"u8.ToArray()));
        var message = await reply.WaitAsync(AppRig.Patience);
        Assert.Equal("You said: hello", Encoding.UTF8.GetString(message.Data.Span));
        Assert.Equal(UdpEchoApp.DefaultPort, message.RemotePort);
    }

    [Fact]
    public void Replies_too_long_for_the_link_are_cut_after_the_prefix()
    {
        var reply = UdpEchoApp.Answer(new byte[100], room: 30);
        Assert.Equal(30, reply.Length);
        Assert.StartsWith("You said: ", Encoding.ASCII.GetString(reply));
        Assert.Equal("You said: hi", UdpEchoApp.Answer("hi"));
    }
}
