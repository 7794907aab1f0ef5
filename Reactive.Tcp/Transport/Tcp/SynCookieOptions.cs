namespace Reactive.Tcp.Transport;

/// <summary>What a validated SYN cookie (and the timestamp echo that came with it) remembered of the peer's SYN.</summary>
/// <param name="PeerMss">The peer's MSS, from the cookie's table index.</param>
/// <param name="Timestamps">The cookie SYN-ACK carried timestamps and the ACK returned one: timestamps are on.</param>
/// <param name="PeerWindowShift">The peer's window scale, −1 when it offered none (or timestamps are off).</param>
/// <param name="SackPermitted">The peer offered SACK (only known with timestamps).</param>
internal readonly record struct SynCookieOptions(int PeerMss, bool Timestamps, int PeerWindowShift, bool SackPermitted);
