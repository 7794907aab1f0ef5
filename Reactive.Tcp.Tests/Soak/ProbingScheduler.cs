using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;

namespace Reactive.Tcp.Tests.Soak;

/// <summary>
/// A <see cref="TestScheduler"/> that can say what is still waiting in its queue, so a soak can
/// check that nothing (a timer of a connection that is gone, a packet still on the wire) is left
/// pending once every connection has ended.
/// </summary>
internal sealed class ProbingScheduler : TestScheduler
{
    /// <summary>The earliest work item not yet run or cancelled; <see langword="null"/> when the queue is empty.</summary>
    /// <remarks>Rx's virtual-time queue drops cancelled items as it looks, so a disposed timer does not count.</remarks>
    public IScheduledItem<long>? NextPending() => GetNext();
}
