using System.Reactive.Concurrency;
using Reactive.Tcp.Links;

namespace Reactive.Tcp.Diagnostics;

/// <summary>Fluent way to put a <see cref="PcapLink"/> around a link.</summary>
public static class PcapLinkExtensions
{
    /// <summary>Records <paramref name="link"/>'s traffic in both directions to <paramref name="writer"/>.</summary>
    /// <param name="link">The link to record.</param>
    /// <param name="writer">Where records go.</param>
    /// <param name="scheduler">Clock for the timestamps.</param>
    public static ILink WithPcap(this ILink link, PcapWriter writer, IScheduler scheduler) =>
        new PcapLink(link, writer, scheduler);
}
