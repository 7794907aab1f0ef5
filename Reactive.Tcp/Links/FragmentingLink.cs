using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// An <see cref="ILink"/> decorator whose inbound packets arrive fragmented, as if a router with
/// a smaller MTU stood in front of it (see <see cref="ImpairmentOperators.Fragment"/>): put it
/// around the receiving stack's end of a <see cref="VirtualWire"/> to make that stack reassemble.
/// Sending passes straight through.
/// </summary>
public sealed class FragmentingLink : ILink
{
    private readonly ILink _inner;

    /// <summary>Wraps <paramref name="inner"/>, fragmenting what it delivers.</summary>
    /// <param name="inner">The link to wrap (disposed with this one).</param>
    /// <param name="fragmentMtu">Largest fragment delivered.</param>
    /// <param name="reverse">Deliver each packet's fragments last first.</param>
    /// <param name="ignoreDontFragment">Fragment packets with Don't Fragment set too (TCP segments).</param>
    public FragmentingLink(ILink inner, int fragmentMtu, bool reverse = false, bool ignoreDontFragment = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        Inbound = inner.Inbound.Fragment(fragmentMtu, reverse, ignoreDontFragment);
    }

    /// <inheritdoc/>
    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <inheritdoc/>
    public int Mtu => _inner.Mtu;

    /// <inheritdoc/>
    public void Send(ReadOnlyMemory<byte> packet) => _inner.Send(packet);

    /// <inheritdoc/>
    public void Send(PooledPacket packet) => _inner.Send(packet);

    /// <inheritdoc/>
    public void Dispose() => _inner.Dispose();
}
