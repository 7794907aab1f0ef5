using System.Reactive;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Transport;

/// <summary>
/// The narrow seam between the application API (<c>Api/</c>: TcpConnection, its Stream and pipe)
/// and one connection of the TCP transport: everything the API asks of a connection goes through
/// here, as a command that the transport runs on the stack's scheduler, in order.
/// </summary>
internal interface IConnectionSeam
{
    /// <summary>The connection's 4-tuple, seen from this stack.</summary>
    ConnectionKey Key { get; }

    /// <summary>The smoothed round-trip time in ticks; 0 before the first sample.</summary>
    long SmoothedRttTicks { get; }

    /// <summary>Queues <paramref name="data"/>; <paramref name="completion"/> hears once it is all in the send buffer, or why not.</summary>
    void Send(ReadOnlyMemory<byte> data, IObserver<Unit> completion);

    /// <summary>Graceful close (FIN after the queued data).</summary>
    void Close();

    /// <summary>Abort (RST).</summary>
    void Abort();

    /// <summary>Delivers received bytes to <paramref name="reader"/> as they arrive, without limit.</summary>
    void AttachReader(IObserver<ReadOnlyMemory<byte>> reader);

    /// <summary>Stops delivering to <paramref name="reader"/> (if it is still the reader).</summary>
    void DetachReader(IObserver<ReadOnlyMemory<byte>> reader);

    /// <summary>Delivers up to <paramref name="bytes"/> more received bytes to <paramref name="reader"/>.</summary>
    void GrantCredit(IObserver<ReadOnlyMemory<byte>> reader, long bytes);
}
