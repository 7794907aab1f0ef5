using System.Reactive.Linq;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Reactive.Tcp.Api;
using Reactive.Tcp.AspNetCore;
using Reactive.Tcp.Http;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Tests.Stack;
using Xunit;
using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Tests.Integration;

/// <summary>Listening on port 0: the stack picks a free port and says which.</summary>
public sealed class ListenPortZeroTests
{
    [Fact]
    public void Bind_zero_picks_a_free_ephemeral_port_that_accepts_connections()
    {
        using var h = new TwoStackHarness();
        using var taken = h.Server.Bind(0);
        using var binding = h.Server.Bind(0);

        Assert.InRange(binding.LocalPort, h.Server.Options.EphemeralPortFirst, h.Server.Options.EphemeralPortLast);
        Assert.NotEqual(taken.LocalPort, binding.LocalPort);
        Assert.Equal(new[] { taken.LocalPort, binding.LocalPort }.Order(), h.Server.Listeners.Items.Order());

        var accepted = new List<TcpConnection>();
        using var sub = binding.Connections.Subscribe(accepted.Add);
        TcpConnection? client = null;
        h.Client.Connect(TwoStackHarness.ServerAddress, binding.LocalPort).Subscribe(c => client = c);
        h.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);

        var server = Assert.Single(accepted);
        Assert.Equal(binding.LocalPort, server.Key.LocalPort);
        Assert.Equal(binding.LocalPort, client!.Key.RemotePort);
        // The port is held: an explicit Bind to it fails, and it is not handed out again.
        Assert.Throws<InvalidOperationException>(() => h.Server.Bind(binding.LocalPort));
    }

    [Fact]
    public void Disposing_the_binding_frees_the_port_completes_connections_and_refuses_new_syns()
    {
        using var h = new TwoStackHarness();
        var binding = h.Server.Bind(0);
        ushort port = binding.LocalPort;
        bool completed = false;
        binding.Connections.Subscribe(_ => { }, () => completed = true);
        binding.Dispose();

        Assert.True(completed);
        Assert.Equal(0, h.Server.Listeners.Count);
        Exception? error = null;
        h.Client.Connect(TwoStackHarness.ServerAddress, port).Subscribe(_ => { }, e => error = e);
        h.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        Assert.Equal(Reactive.Tcp.Tcp.TcpError.Refused, Assert.IsType<TcpException>(error).Error);
        using var again = h.Server.Bind(port); // free again
    }

    [Fact]
    public void Listen_zero_still_listens_and_the_listeners_table_names_the_port()
    {
        using var h = new TwoStackHarness();
        var accepted = new List<TcpConnection>();
        using (h.Server.Listen(0).Subscribe(accepted.Add))
        {
            ushort port = Assert.Single(h.Server.Listeners.Items);
            Assert.NotEqual(0, port);
            h.Client.Connect(TwoStackHarness.ServerAddress, port).Subscribe(_ => { });
            h.Scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
            Assert.Single(accepted);
        }
        Assert.Equal(0, h.Server.Listeners.Count);
    }

    [Fact]
    public async Task Kestrel_bound_to_port_0_reports_the_port_the_stack_chose_and_serves_on_it()
    {
        using var stacks = new RealTimeStacks();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseRxTcp(stacks.Server, 0);
        await using var app = builder.Build();
        app.MapGet("/", () => "hello from port 0");
        await app.StartAsync();

        var address = Assert.Single(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses);
        var uri = new Uri(address);
        Assert.Equal("192.0.2.1", uri.Host);
        ushort port = Assert.Single(stacks.Server.Listeners.Items);
        Assert.Equal(port, uri.Port);
        Assert.InRange(port, stacks.Server.Options.EphemeralPortFirst, stacks.Server.Options.EphemeralPortLast);

        using var http = RxTcpHttp.CreateClient(stacks.Client);
        http.Timeout = TimeSpan.FromSeconds(30);
        Assert.Equal("hello from port 0", await http.GetStringAsync(new Uri(uri, "/")));
        await app.StopAsync();
        Assert.True(await RealTimeStacks.Eventually(() => stacks.Server.Listeners.Count == 0));
    }
}
