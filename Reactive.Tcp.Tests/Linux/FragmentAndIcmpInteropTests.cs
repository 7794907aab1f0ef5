using System.Net;
using System.Net.Sockets;
using Reactive.Tcp.Api;
using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;

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
}
