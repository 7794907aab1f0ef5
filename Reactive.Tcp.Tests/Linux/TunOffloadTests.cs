using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// A TUN device opened with the virtio header and checksum/TSO4 offload: the kernel hands the
/// stack TCP super-segments with partial checksums, the link completes them, and the transfer
/// arrives intact. Runs the real Linux TCP as the sender, inside a fresh namespace.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public class TunOffloadTests(ITestOutputHelper output)
{
    private const int Size = 16 * 1024 * 1024;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [LinuxRootFact]
    public async Task Kernel_super_segments_arrive_whole_with_completed_checksums_and_the_upload_is_byte_exact()
    {
        using var rig = new TunInterop(offload: true);
        var data = Interop.RandomBytes(Size, seed: 5);
        var expected = Interop.Sha256(data);

        // The largest packet the link delivered, to see that the kernel really sent super-segments.
        int largest = 0;
        using var watch = rig.Link.Inbound.Subscribe(p => largest = Math.Max(largest, p.Length));

        long serverBytes = 0;
        using var listener = rig.Stack.Listen(9).Subscribe(c =>
        {
            var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            c.Received.Subscribe(
                m => { hash.AppendData(m.Span); serverBytes += m.Length; },
                e => output.WriteLine($"server receive failed: {e.Message}"),
                () => c.Send(Encoding.ASCII.GetBytes(Convert.ToHexString(hash.GetHashAndReset()))).Subscribe(_ => { }, _ => { }, c.Close));
        });

        using var socket = rig.KernelSocket();
        await socket.ConnectAsync(TunInterop.Endpoint(TunInterop.StackAddress, 9)).Within(TimeSpan.FromSeconds(10), rig, "connect");
        var upload = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += 256 * 1024)
                await socket.SendAsync(data.AsMemory(offset, Math.Min(256 * 1024, data.Length - offset)));
            socket.Shutdown(SocketShutdown.Send);
        });
        await upload.Within(Limit, rig, "upload");
        var reply = await ReadToEnd(socket).Within(TimeSpan.FromSeconds(30), rig, "hash reply");

        output.WriteLine($"largest inbound packet {largest} B; super-segments {rig.Link.SuperSegmentsReceived}; {rig.Diagnostics()}");
        Assert.Equal(Size, serverBytes);
        Assert.Equal(expected, Encoding.ASCII.GetString(reply));
        Assert.True(rig.Link.SuperSegmentsReceived > 0, "the kernel sent no super-segment: " + rig.Diagnostics());
        Assert.True(largest > rig.Link.Mtu, $"no packet larger than the MTU arrived (largest {largest} B)");
        Assert.Equal(0, rig.Link.MalformedOffloadHeaders);
        Assert.Equal(0, rig.Stack.Drops[DropReason.BadTcpChecksum]);
    }

    [LinuxRootFact]
    public async Task RxTcp_super_segments_are_cut_up_by_the_kernel_and_the_download_is_byte_exact()
    {
        using var rig = new TunInterop(TcpConfig.Default with { SendOffloadSize = 65535 }, offload: true);
        var data = Interop.RandomBytes(Size, seed: 7);
        using var sent = rig.Stack.Listen(9).Subscribe(c =>
            c.Send(data).Subscribe(_ => { }, e => output.WriteLine($"server send failed: {e.Message}"), c.Close));

        using var socket = rig.KernelSocket();
        await socket.ConnectAsync(TunInterop.Endpoint(TunInterop.StackAddress, 9)).Within(TimeSpan.FromSeconds(10), rig, "connect");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var received = await ReadToEnd(socket).Within(Limit, rig, "download");
        watch.Stop();

        output.WriteLine($"RxTcp → kernel: {Interop.Rate(received.Length, watch.Elapsed)}; super-segments sent {rig.Link.SuperSegmentsSent}; {rig.Diagnostics()}");
        Assert.Equal(Size, received.Length);
        Assert.Equal(Interop.Sha256(data), Interop.Sha256(received));
        Assert.True(rig.Link.SuperSegmentsSent > 0, "the stack sent no super-segment: " + rig.Diagnostics());
        Assert.True(rig.Link.BytesSent / rig.Link.PacketsSent > rig.Link.Mtu, "packets were not larger than the MTU on average: " + rig.Diagnostics());
        Assert.Equal(0, rig.Link.WriteErrors);
    }

    [LinuxRootFact]
    public async Task Without_offload_no_packet_exceeds_the_mtu()
    {
        using var rig = new TunInterop();
        int largest = 0;
        using var watch = rig.Link.Inbound.Subscribe(p => largest = Math.Max(largest, p.Length));
        long serverBytes = 0;
        using var listener = rig.Stack.Listen(9).Subscribe(c => c.Received.Subscribe(m => serverBytes += m.Length, _ => { }, c.Close));

        using var socket = rig.KernelSocket();
        await socket.ConnectAsync(TunInterop.Endpoint(TunInterop.StackAddress, 9)).Within(TimeSpan.FromSeconds(10), rig, "connect");
        var data = Interop.RandomBytes(1024 * 1024, seed: 6);
        await socket.SendAsync(data).Within(Limit, rig, "upload");
        socket.Shutdown(SocketShutdown.Send);
        await ReadToEnd(socket).Within(TimeSpan.FromSeconds(30), rig, "close");

        Assert.Equal(data.Length, serverBytes);
        Assert.InRange(largest, 1, rig.Link.Mtu);
        Assert.Equal(0, rig.Link.SuperSegmentsReceived);
    }

    private static async Task<byte[]> ReadToEnd(Socket socket)
    {
        var all = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }
}
