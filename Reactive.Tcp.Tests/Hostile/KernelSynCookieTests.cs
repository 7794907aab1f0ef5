using System.Net.Sockets;
using System.Reactive.Linq;
using Reactive.Tcp.Api;
using Reactive.Tcp.Tests.Linux;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Hostile;

/// <summary>SYN cookies against the Linux kernel's TCP as the client, over a TUN device inside a private namespace.</summary>
[Collection(LinuxInteropCollection.Name)]
public class KernelSynCookieTests(ITestOutputHelper output)
{
    [LinuxRootFact]
    public async Task Kernel_clients_connect_through_SYN_cookies_to_a_listener_with_no_backlog_and_echo_byte_exact()
    {
        const int Clients = 20, Bytes = 200_000;
        using var rig = new TunInterop();
        using var listener = rig.Stack.Listen(7, backlog: 0).Subscribe(c =>
            c.Received.Select(m => m.ToArray()).Select(b => c.Send(b)).Concat().Subscribe(_ => { }, _ => c.Abort(), c.Close));

        var sockets = Enumerable.Range(0, Clients).Select(_ => rig.KernelSocket()).ToArray();
        try
        {
            await Task.WhenAll(sockets.Select(s => s.ConnectAsync(TunInterop.Endpoint(TunInterop.StackAddress, 7)))).Within(TimeSpan.FromSeconds(30), rig, "connecting");
            var exchanges = sockets.Select(async (s, i) =>
            {
                var message = Interop.RandomBytes(Bytes, seed: 7 + i);
                var sending = s.SendAsync(message);
                var echoed = new byte[Bytes];
                int got = 0;
                while (got < echoed.Length)
                {
                    int n = await s.ReceiveAsync(echoed.AsMemory(got));
                    if (n == 0) throw new IOException($"connection {i} closed after {got} bytes");
                    got += n;
                }
                await sending;
                Assert.Equal(message, echoed);
                s.Shutdown(SocketShutdown.Send);
            });
            await Task.WhenAll(exchanges).Within(TimeSpan.FromSeconds(60), rig, "echo on every connection");
            output.WriteLine($"{Clients} kernel clients through SYN cookies: {rig.Stack.Counters.SynCookiesSent} sent, {rig.Stack.Counters.SynCookiesAccepted} accepted, {rig.Stack.Counters.SynCookiesRejected} rejected; half-open now {rig.Stack.HalfOpenCount}");
            output.WriteLine(rig.Diagnostics());
            Assert.Equal(Clients, rig.Stack.Counters.SynCookiesAccepted);
            Assert.Equal(0, rig.Stack.Counters.SynCookiesRejected);
            Assert.Equal(0, rig.Stack.HalfOpenCount);
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }
}
