namespace Reactive.Tcp.Interfaces;

/// <summary>An IP packet taken out of its link-layer frame, with the interface it arrived on. Its memory is valid only during delivery.</summary>
/// <param name="Interface">The interface it arrived on.</param>
/// <param name="Data">The IP packet (possibly followed by link-layer padding; the IP total length says where it ends).</param>
internal readonly record struct ReceivedPacket(NetworkInterface Interface, ReadOnlyMemory<byte> Data);
