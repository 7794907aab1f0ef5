using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>A side of a traced connection entering a state.</summary>
/// <param name="Time">When, from the start of the connection.</param>
/// <param name="Local">Whether it is the local side (else the remote one).</param>
/// <param name="State">The state entered; <see cref="TcpState.Closed"/> after the connection existed means it is gone.</param>
public readonly record struct TraceState(TimeSpan Time, bool Local, TcpState State);
