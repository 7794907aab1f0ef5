using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Linux;

/// <summary>How a <see cref="TapLink"/> opens and configures its device.</summary>
public sealed record TapLinkOptions
{
    /// <summary>Device name (at most 15 characters); empty lets the kernel pick <c>tapN</c>.</summary>
    public string Name { get; init; } = "rxtap0";

    /// <summary>MTU of the device and of the link (the largest IP packet; frames are 14 bytes longer).</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>
    /// The stack's hardware address: the source of the frames it sends, the destination of those
    /// for it. Not the TAP device's own address, which is the kernel's side of the segment.
    /// Null draws a random locally administered one.
    /// </summary>
    public MacAddress? Address { get; init; }

    /// <summary>Create or attach with <c>IFF_MULTI_QUEUE</c>; flags must match an existing device.</summary>
    public bool MultiQueue { get; init; }

    /// <summary>
    /// Open the device with <c>IFF_VNET_HDR</c> and offer checksum and TCP segmentation offload,
    /// as <see cref="TunLinkOptions.Offload"/> does for a TUN device: the kernel may then hand over
    /// TCP/IPv4 super-segments of up to 64 KiB in one Ethernet frame, with checksums completed by
    /// the link, and the link may send such frames for the kernel to cut up. Off by default.
    /// </summary>
    public bool Offload { get; init; }

    /// <summary>
    /// The kernel's address on the segment. When set, the link configures the device after creating
    /// it: this address with <see cref="PrefixLength"/>, MTU, IPv6 off, link up (in the network
    /// namespace of the thread that opens the link). The stack takes another address in the prefix.
    /// </summary>
    public IPv4Address? KernelAddress { get; init; }

    /// <summary>Prefix length of <see cref="KernelAddress"/>'s on-link network (24: a /24).</summary>
    public int PrefixLength { get; init; } = 24;

    /// <summary>The TAP device's own hardware address (the kernel's side); null leaves the kernel's random one.</summary>
    public MacAddress? KernelHardwareAddress { get; init; }

    /// <summary>
    /// A bridge (an existing device in the same namespace) to enslave the TAP to, so the stack sits
    /// on that bridge's segment; the device is brought up. Usually without <see cref="KernelAddress"/>.
    /// </summary>
    public string? Bridge { get; init; }

    /// <summary>
    /// Permit opening a device in the machine's initial network namespace. Off by default, because
    /// a device there can carry frames off the machine; run inside a namespace instead.
    /// </summary>
    public bool AllowInitialNamespace { get; init; }
}
