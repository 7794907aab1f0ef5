namespace Reactive.Tcp.Interfaces;

/// <summary>A frame as a link delivered it, with the interface it arrived on. Its memory is valid only during delivery.</summary>
/// <param name="Interface">The interface whose link delivered it.</param>
/// <param name="Frame">The frame: a raw IP packet on a TUN-like link, an Ethernet frame on a TAP-like one.</param>
internal readonly record struct LinkFrame(NetworkInterface Interface, ReadOnlyMemory<byte> Frame);
