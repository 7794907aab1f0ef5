using System.Net;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Reactive.Tcp.Api;
using Reactive.Tcp.Linux;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>
/// IPv4 fragments and ICMP errors between RxTcp and the Linux kernel over a TUN device (1500-byte
/// MTU) inside a private namespace: the kernel fragments and reassembles, and reads our ICMP.
/// </summary>
[Collection(LinuxInteropCollection.Name)]
public class FragmentAndIcmpInteropTests(ITestOutputHelper output)
{
    private static Socket KernelUdp(TunInterop rig)
    {
        var socket = rig.Namespace.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        socket.Bind(new IPEndPoint(IPAddress.Parse(TunInterop.KernelAddress.ToString()), 0));
        return socket;
    }

    [LinuxRootFact]
    public async Task A_3000_byte_datagram_the_kernel_fragments_arrives_whole()
    {
        using var rig = new TunInterop();
        var got = new TaskCompletionSource<UdpMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bound = rig.Stack.ReceiveUdp(7000).Subscribe(m => got.TrySetResult(m));
        using var socket = KernelUdp(rig);
        var data = Interop.RandomBytes(3000, seed: 791);

        await socket.SendToAsync(data, TunInterop.Endpoint(TunInterop.StackAddress, 7000));
        var message = await got.Task.Within(TimeSpan.FromSeconds(10), rig, "the fragmented datagram");

        Assert.Equal(data, message.Data.ToArray());
        Assert.Equal(1, rig.Stack.Counters.DatagramsReassembled);
        Assert.True(rig.Link.PacketsReceived >= 3, rig.Diagnostics()); // it really came as fragments
        output.WriteLine(rig.Diagnostics());
    }

    [LinuxRootFact]
    public async Task A_3000_byte_datagram_the_stack_fragments_is_reassembled_by_the_kernel()
    {
        using var rig = new TunInterop();
        using var socket = KernelUdp(rig);
        int kernelPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var data = Interop.RandomBytes(3000, seed: 792);

        rig.Stack.SendUdp(new UdpMessage(TunInterop.KernelAddress, (ushort)kernelPort, 7001, data));
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), timeout.Token);

        Assert.Equal(data, buffer.AsSpan(0, received.ReceivedBytes).ToArray());
        Assert.True(rig.Link.PacketsSent >= 3, rig.Diagnostics());
    }

    [LinuxRootFact]
    public async Task A_kernel_udp_socket_sending_to_an_unbound_port_gets_connection_refused()
    {
        using var rig = new TunInterop();
        using var socket = KernelUdp(rig);
        // Connected, so the kernel reports the ICMP port unreachable on the socket (ECONNREFUSED).
        socket.Connect(TunInterop.Endpoint(TunInterop.StackAddress, 7999));
        socket.Send("anyone?"u8);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var error = await Assert.ThrowsAsync<SocketException>(async () => await socket.ReceiveAsync(new byte[64], SocketFlags.None, timeout.Token));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Equal(1, rig.Stack.Counters.IcmpErrorsSent);
        Assert.Equal(1, rig.Stack.Drops[DropReason.NoConnection]);
        output.WriteLine(rig.Diagnostics());
    }

    /// <summary>
    /// Path MTU discovery against a real router: the rig's namespace forwards from the TUN device
    /// to a veth with a 1280-byte MTU into a second namespace, whose kernel server announces MSS
    /// 1460 (route advmss) so RxTcp starts with 1500-byte DF packets. The Linux router drops them
    /// and sends ICMP fragmentation needed; the upload must then complete byte-exact.
    /// </summary>
    [LinuxRootFact]
    public async Task Through_a_linux_router_with_a_1280_byte_next_hop_the_stack_learns_the_path_mtu()
    {
        using var rig = new TunInterop();
        using var far = NetworkNamespace.Create();
        rig.Namespace.Run("sysctl", "-w", "net.ipv4.ip_forward=1").EnsureSuccess();
        rig.Namespace.Run("ip", "link", "add", "rxv0", "type", "veth", "peer", "name", "rxv1", "netns", far.Name).EnsureSuccess();
        rig.Namespace.Run("ip", "addr", "add", "198.51.100.1/24", "dev", "rxv0").EnsureSuccess();
        rig.Namespace.Run("ip", "link", "set", "rxv0", "mtu", "1280", "up").EnsureSuccess();
        far.Run("ip", "link", "set", "lo", "up").EnsureSuccess();
        far.Run("ip", "addr", "add", "198.51.100.2/24", "dev", "rxv1").EnsureSuccess();
        far.Run("ip", "link", "set", "rxv1", "mtu", "1280", "up").EnsureSuccess();
        far.Run("ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.1", "advmss", "1460").EnsureSuccess();

        using var listener = far.Invoke(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        listener.Bind(new IPEndPoint(IPAddress.Parse("198.51.100.2"), 9100));
        listener.Listen();
        var accepted = listener.AcceptAsync();

        var data = Interop.RandomBytes(2 * 1024 * 1024, seed: 1191);
        var connection = await rig.Stack.Connect(IPv4Address.Parse("198.51.100.2"), 9100).FirstAsync().ToTask().Within(TimeSpan.FromSeconds(10), rig, "connect");
        using var peer = await accepted.Within(TimeSpan.FromSeconds(10), rig, "accept");
        var upload = connection.SendAsync(data);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        var read = Task.Run(async () =>
        {
            while (received.Length < data.Length)
            {
                int n = await peer.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0) break;
                received.Write(buffer, 0, n);
            }
        });
        await read.Within(TimeSpan.FromSeconds(60), rig, "2 MiB upload through the router");
        await upload.Within(TimeSpan.FromSeconds(10), rig, "send completion");
        connection.Close();

        Assert.Equal(Interop.Sha256(data), Interop.Sha256(received.ToArray()));
        Assert.True(rig.Stack.Counters.PathMtuUpdates >= 1, rig.Diagnostics());
        Assert.Equal(0, rig.Stack.Drops[DropReason.IcmpStaleSequence]);
        output.WriteLine($"ICMP errors received {rig.Stack.Counters.IcmpErrorsReceived}, path MTU updates {rig.Stack.Counters.PathMtuUpdates}; {rig.Diagnostics()}");
    }
}
