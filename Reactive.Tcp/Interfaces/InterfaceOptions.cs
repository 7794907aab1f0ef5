using Reactive.Tcp.Links;

namespace Reactive.Tcp.Interfaces;

/// <summary>One interface of a stack: its link and the addresses the stack holds on it.</summary>
/// <param name="Link">The link. Its frames are bare IP packets (a TUN device, the virtual wire).</param>
public sealed record InterfaceOptions(ILink Link)
{
    /// <summary>The stack's addresses on this interface, each with its on-link prefix length (a point-to-point link: /32).</summary>
    public IReadOnlyList<InterfaceAddress> Addresses { get; init; } = [];

    /// <summary>The interface's name, for routes and diagnostics; null gives <c>if0</c>, <c>if1</c>… by position.</summary>
    public string? Name { get; init; }
}
