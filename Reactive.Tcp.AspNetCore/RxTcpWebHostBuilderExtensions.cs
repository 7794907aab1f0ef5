using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Reactive.Tcp.Stack;

namespace Reactive.Tcp.AspNetCore;

/// <summary>Hosts Kestrel on a <see cref="TcpStack"/>.</summary>
public static class RxTcpWebHostBuilderExtensions
{
    /// <summary>
    /// Adds the RxTcp transport for <paramref name="stack"/> and makes Kestrel listen on the stack's
    /// address at each of <paramref name="ports"/> (none: configure endpoints yourself with the
    /// stack's address, e.g. <c>options.Listen(stack.Address.ToIPAddress(), 8080)</c>).
    /// Endpoints on other addresses stay on Kestrel's socket transport.
    /// </summary>
    /// <remarks>
    /// Kestrel's socket transport turns Nagle's algorithm off on every connection it accepts
    /// (<c>SocketTransportOptions.NoDelay</c>, on by default). RxTcp's switch for it,
    /// <see cref="Reactive.Tcp.Tcp.TcpConfig.NoDelay"/>, belongs to the whole stack and is fixed when
    /// the stack is made, so this transport cannot set it per connection: for the same behaviour
    /// make the stack with <c>TcpConfig.Default with { NoDelay = true }</c> (as <c>rxtcp serve kestrel</c> does).
    /// </remarks>
    /// <example><code>
    /// var builder = WebApplication.CreateBuilder();
    /// builder.WebHost.UseRxTcp(stack, 80);
    /// var app = builder.Build();
    /// app.MapGet("/", () => "hello over RxTcp");
    /// await app.RunAsync();
    /// </code></example>
    public static IWebHostBuilder UseRxTcp(this IWebHostBuilder builder, TcpStack stack, params ushort[] ports)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(ports);
        builder.ConfigureServices(services =>
        {
            // Added after Kestrel's socket transport: Kestrel asks the last registered factory first,
            // and ours declines (IConnectionListenerFactorySelector) every endpoint that is not a stack's.
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectionListenerFactory, RxTcpTransportFactory>());
            services.Configure<RxTcpTransportOptions>(options => options.Stacks.Add(stack));
        });
        if (ports.Length > 0)
        {
            builder.ConfigureKestrel(options =>
            {
                foreach (var port in ports) options.Listen(stack.Address.ToIPAddress(), port);
            });
        }
        return builder;
    }

    /// <summary>Same as <see cref="UseRxTcp(IWebHostBuilder, TcpStack, ushort[])"/> on <see cref="WebApplicationBuilder.WebHost"/>.</summary>
    public static WebApplicationBuilder UseRxTcp(this WebApplicationBuilder builder, TcpStack stack, params ushort[] ports)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.UseRxTcp(stack, ports);
        return builder;
    }
}
