using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Linux;

/// <summary>How a <see cref="TunLink"/> opens and configures its device.</summary>
public sealed record TunLinkOptions
{
    /// <summary>Device name (at most 15 characters); empty lets the kernel pick <c>tunN</c>.</summary>
    public string Name { get; init; } = "rxt0";

    /// <summary>MTU of the device and of the link.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>
    /// Create or attach with <c>IFF_MULTI_QUEUE</c>; flags must match an existing device. Each
    /// <see cref="TunLink"/> is then one queue of the device; <see cref="TunLink.OpenQueues"/> opens several.
    /// </summary>
    public bool MultiQueue { get; init; }

    /// <summary>
    /// Length of the device's queue towards the stack (<c>ip link set DEV txqueuelen N</c>, in
    /// packets): how large a burst from the kernel may wait for the reader before the kernel drops
    /// (<see cref="TunDeviceCounters.TxDropped"/>). Set when the link configures the device
    /// (<see cref="KernelAddress"/> given); null leaves the kernel's default of 500.
    /// </summary>
    public int? TxQueueLength { get; init; }

    /// <summary>
    /// Write on a writer thread of the link's own (on by default): <see cref="TunLink.Send(ReadOnlyMemory{byte})"/>
    /// only queues, and the writer writes what has gathered in one loop per wake-up, in the order
    /// sent. The packets a stack emits while the reader hands it a drained batch of reads wake the
    /// writer once, at the end of the batch. Off:
    /// each packet is written by the thread that sends it, inside <c>Send</c>.
    /// </summary>
    public bool WriterThread { get; init; } = true;

    /// <summary>
    /// Open the device with <c>IFF_VNET_HDR</c> and offer the kernel checksum and TCP segmentation
    /// offload (<c>TUN_F_CSUM | TUN_F_TSO4</c>). The kernel then skips computing TCP checksums for
    /// what it sends us and may hand over TCP super-segments of up to 64 KiB instead of MTU-sized
    /// ones, which saves it and us a system call and a pass through the stack per segment. The
    /// link completes the partial checksums itself, so <see cref="TunLink.Inbound"/> still carries
    /// ordinary (if large) IPv4 packets. Off by default; flags must match an existing device.
    /// </summary>
    public bool Offload { get; init; }

    /// <summary>
    /// The kernel's own address on the device. When set together with <see cref="StackAddress"/>,
    /// the link configures the device after creating it: address with point-to-point peer, MTU,
    /// IPv6 off, link up (in the network namespace of the thread that opens the link).
    /// </summary>
    public IPv4Address? KernelAddress { get; init; }

    /// <summary>The stack's address: the point-to-point peer the kernel routes to over the device.</summary>
    public IPv4Address? StackAddress { get; init; }

    /// <summary>
    /// Permit opening a device in the machine's initial network namespace. Off by default, because
    /// a device there can route packets off the machine; run inside a namespace instead.
    /// </summary>
    public bool AllowInitialNamespace { get; init; }
}
