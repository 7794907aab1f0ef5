namespace Reactive.Tcp.Rx;

/// <summary>
/// Counts exceptions a stage caught instead of letting them end the pipeline: a packet or command
/// that makes a stage throw is a bug, but it costs only itself (and at most its connection), never
/// the stack. One per stack, shared by its stages.
/// </summary>
internal sealed class FaultCounter
{
    private long _count;

    /// <summary>Faults recorded.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Records one caught fault.</summary>
    public void Record() => Interlocked.Increment(ref _count);
}
