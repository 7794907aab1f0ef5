using Reactive.Tcp.Rx;

namespace Reactive.Tcp.Interfaces;

/// <summary>
/// The link layer of the inbound pipeline: each frame goes to the interface it arrived on, which
/// passes on the IP packet inside it (see <see cref="NetworkInterface.Receive"/>).
/// </summary>
internal sealed class InterfaceStage(FaultCounter faults) : IStage<LinkFrame, ReceivedPacket>
{
    /// <inheritdoc />
    public void OnNext(in LinkFrame value, IObserver<ReceivedPacket> downstream)
    {
        try
        {
            value.Interface.Receive(value, downstream);
        }
        catch (Exception)
        {
            faults.Record();
        }
    }
}
