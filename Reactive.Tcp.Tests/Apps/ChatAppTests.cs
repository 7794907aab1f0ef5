using System.Reactive.Linq;
using System.Text;
using RxTcp.Cli.Apps;
using Xunit;

namespace Reactive.Tcp.Tests.Apps;

public class ChatAppTests
{
    [Fact]
    public async Task Newcomers_are_welcomed_lines_are_broadcast_to_the_others_and_departures_announced()
    {
        using var rig = new AppRig();
        var chat = new ChatApp();
        using var service = new TcpService(rig.Server, ChatApp.DefaultPort, chat.Serve);

        var alice = await rig.ConnectAsync(ChatApp.DefaultPort);
        var aliceHears = new Collector(alice);
        await aliceHears.WaitForTextAsync("Welcome, user1.\n");

        var bob = await rig.ConnectAsync(ChatApp.DefaultPort);
        var bobHears = new Collector(bob);
        await bobHears.WaitForTextAsync("Welcome, user2.\nuser1 arrived.\n");
        await aliceHears.WaitForTextAsync("user2 arrived.\n");
        Assert.Equal(["user1", "user2"], chat.Present);

        // A line split across segments, then two lines in one, one of them ending in CRLF.
        await alice.SendAsync("hel"u8.ToArray());
        await Task.Delay(50);
        await alice.SendAsync("lo, bob\nhow are you?\r\n"u8.ToArray());
        await bobHears.WaitForTextAsync("user1 says: hello, bob\nuser1 says: how are you?\n");
        await bob.SendAsync(Encoding.UTF8.GetBytes("fine, très bien\n"));
        await aliceHears.WaitForTextAsync("user2 says: fine, très bien\n");

        bob.Close();
        await aliceHears.WaitForTextAsync("user2 departed.\n");
        await bobHears.Ended.WaitAsync(AppRig.Patience); // the server closes its side after bob's FIN
        Assert.Equal(["user1"], chat.Present);

        // Nobody hears their own lines.
        Assert.DoesNotContain("user1 says", aliceHears.Text);
        Assert.DoesNotContain("user2 says", bobHears.Text);
        Assert.Equal("Welcome, user1.\nuser2 arrived.\nuser2 says: fine, très bien\nuser2 departed.\n", aliceHears.Text);
    }

    [Fact]
    public async Task A_reset_counts_as_a_departure()
    {
        using var rig = new AppRig();
        var chat = new ChatApp();
        using var service = new TcpService(rig.Server, ChatApp.DefaultPort, chat.Serve);
        var a = await rig.ConnectAsync(ChatApp.DefaultPort);
        var aHears = new Collector(a);
        var b = await rig.ConnectAsync(ChatApp.DefaultPort);
        await aHears.WaitForTextAsync("user2 arrived.\n");
        b.Abort();
        await aHears.WaitForTextAsync("user2 departed.\n");
        Assert.Equal(["user1"], chat.Present);
    }

    [Fact]
    public async Task Lines_are_split_anywhere_even_inside_a_character()
    {
        var bytes = Encoding.UTF8.GetBytes("é\nab\r\nlast");
        var chunks = new[] { bytes[..1], bytes[1..4], bytes[4..] }.Select(b => (ReadOnlyMemory<byte>)b);
        var lines = await chunks.ToObservable().ToLines().ToList();
        Assert.Equal(["é", "ab", "last"], lines);
    }
}
