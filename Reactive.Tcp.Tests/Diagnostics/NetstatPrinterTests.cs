using Reactive.Tcp.Api;
using Reactive.Tcp.Tests.Stack;
using RxTcp.Cli;
using Xunit;

namespace Reactive.Tcp.Tests.Diagnostics;

/// <summary><c>rxtcp serve --netstat</c>'s table printer against a stack on the virtual wire.</summary>
public sealed class NetstatPrinterTests
{
    [Fact]
    public void Prints_a_connection_from_its_add_to_its_graceful_remove()
    {
        using var h = new TwoStackHarness();
        var output = new StringWriter();
        using (new NetstatPrinter(h.Server, output))
            h.Transfer(20_000, 3_000, seed: 5);

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(NetstatPrinter.Header, lines[0]);
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} \+ 192\.0\.2\.1:80 +192\.0\.2\.2:\d+ +SYN-RECEIVED +0 +0 +\d+\.\dms +(\d+|-)  accepted$", lines[1]);
        Assert.Contains(lines, l => l.Contains(" ~ ", StringComparison.Ordinal) && l.Contains("ESTABLISHED", StringComparison.Ordinal));
        Assert.Matches(@" - 192\.0\.2\.1:80 +192\.0\.2\.2:\d+ +(TIME-WAIT|LAST-ACK) .*closed: graceful$", lines[^1]);
        Assert.Single(lines, l => l.Length > 14 && l[13] == '-');
    }

    [Fact]
    public void A_reset_says_so_on_the_last_line()
    {
        using var h = new TwoStackHarness();
        var output = new StringWriter();
        using var printer = new NetstatPrinter(h.Server, output);
        using var listening = h.Server.Listen(80).Subscribe(_ => { });
        TcpConnection? client = null;
        h.Client.Connect(TwoStackHarness.ServerAddress, 80).Subscribe(c => client = c);
        h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);
        client!.Abort();
        h.Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);

        var last = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Matches(@" - 192\.0\.2\.1:80 +192\.0\.2\.2:\d+ +ESTABLISHED .*closed: reset by peer$", last);
    }
}
