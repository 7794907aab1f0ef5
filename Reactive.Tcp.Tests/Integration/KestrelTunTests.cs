using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Reactive.Tcp.AspNetCore;
using Reactive.Tcp.Tests.Linux;
using Xunit;

namespace Reactive.Tcp.Tests.Integration;

/// <summary>
/// curl from the kernel reaches a Kestrel app hosted on RxTcp over a TUN device. Root only; the
/// rig is a network namespace the test creates (kernel 192.0.2.1, stack 192.0.2.2) and removes.
/// </summary>
public class KestrelTunTests
{
    [LinuxRootFact]
    public async Task Curl_in_the_kernel_reaches_a_Kestrel_minimal_api_on_RxTcp_over_TUN()
    {
        using var rig = new TunInterop();
        var body = HttpClientTests.MakeBody(4 * 1024 * 1024);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseRxTcp(rig.Stack, 80);
        await using var app = builder.Build();
        app.MapGet("/", (HttpContext context) => $"hello {context.Connection.RemoteIpAddress} from Kestrel over RxTcp");
        app.MapGet("/big", () => Results.Bytes(body, "application/octet-stream"));
        await app.StartAsync();

        var file = Path.Combine(Path.GetTempPath(), $"rxt-kestrel-{Guid.NewGuid():N}.bin");
        try
        {
            var hello = await Task.Run(() => rig.Namespace.Run(TimeSpan.FromSeconds(30), "curl", "-sS", "--fail", $"http://{TunInterop.StackAddress}/"));
            Assert.True(hello.Succeeded, hello + " " + rig.Diagnostics());
            Assert.Equal($"hello {TunInterop.KernelAddress} from Kestrel over RxTcp", hello.StandardOutput.Trim());

            var big = await Task.Run(() => rig.Namespace.Run(TimeSpan.FromSeconds(60), "curl", "-sS", "--fail", "-o", file, $"http://{TunInterop.StackAddress}/big"));
            Assert.True(big.Succeeded, big + " " + rig.Diagnostics());
            Assert.Equal(SHA256.HashData(body), SHA256.HashData(await File.ReadAllBytesAsync(file)));
        }
        finally
        {
            File.Delete(file);
            await app.StopAsync();
        }
    }
}
