using System.Reactive;

namespace Reactive.Tcp.Transport;

/// <summary>Application data waiting for send-buffer room, and who to tell when it is all taken.</summary>
internal sealed class PendingSend(ReadOnlyMemory<byte> data, IObserver<Unit> observer)
{
    public ReadOnlyMemory<byte> Remaining { get; set; } = data;
    public IObserver<Unit> Observer { get; } = observer;
}
