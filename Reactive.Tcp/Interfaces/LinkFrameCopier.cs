using Reactive.Tcp.Rx;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Interfaces;

/// <summary>Copies a frame that must wait its turn (see <see cref="Serializer"/>) into a pooled buffer, since the link reuses its own once delivery returns.</summary>
internal sealed class LinkFrameCopier : IElementCopier<LinkFrame>
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static LinkFrameCopier Instance { get; } = new();

    /// <inheritdoc />
    public LinkFrame Copy(LinkFrame value, out PooledPacket? owned)
    {
        var copy = PooledPacket.CopyOf(value.Frame.Span);
        owned = copy;
        return value with { Frame = copy.Memory };
    }
}
