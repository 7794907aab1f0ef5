using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Reactive.Tcp.AspNetCore;
using Reactive.Tcp.Stack;

namespace RxTcp.Cli.Apps;

/// <summary>
/// ASP.NET Core's Kestrel serving the files below a directory (static files middleware, any file
/// type) on one port: on an RxTcp stack through <see cref="RxTcpWebHostBuilderExtensions.UseRxTcp(IWebHostBuilder, TcpStack, ushort[])"/>,
/// or on kernel sockets, so that <c>rxtcp bench http</c> can put the same application on both.
/// </summary>
public static class KestrelApp
{
    /// <summary>The well-known port.</summary>
    public const ushort DefaultPort = 80;

    /// <summary>Starts Kestrel on <paramref name="stack"/> at <paramref name="port"/>, serving <paramref name="root"/>.</summary>
    public static Task<WebApplication> StartAsync(TcpStack stack, ushort port, string root) =>
        StartAsync(builder => builder.WebHost.UseRxTcp(stack, port), root);

    /// <summary>Starts Kestrel on kernel sockets at <paramref name="address"/>:<paramref name="port"/>, serving <paramref name="root"/>.</summary>
    public static Task<WebApplication> StartAsync(IPAddress address, ushort port, string root) =>
        StartAsync(builder => builder.WebHost.ConfigureKestrel(k => k.Listen(address, port)), root);

    private static async Task<WebApplication> StartAsync(Action<WebApplicationBuilder> listen, string root)
    {
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"--root: '{root}' is not a directory.");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        listen(builder);
        var app = builder.Build();
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(full),
            ServeUnknownFileTypes = true,
            DefaultContentType = "application/octet-stream",
        });
        await app.StartAsync().ConfigureAwait(false);
        return app;
    }
}
