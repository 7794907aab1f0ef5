using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Reactive.Tcp.Linux;

/// <summary>
/// The kernel's own counters for a TUN device (as <c>ip -s link</c> shows them), read from
/// <c>/proc/net/dev</c> of the device's network namespace. The kernel names directions from the
/// device's side: it <em>transmits</em> what it sends to the stack and <em>receives</em> what the
/// stack writes.
/// </summary>
/// <param name="TxPackets">Packets the kernel sent into the device, towards the stack.</param>
/// <param name="TxBytes">Bytes of those packets.</param>
/// <param name="TxDropped">
/// Packets the kernel dropped on their way to the stack because the device's queue was full (the
/// reader did not keep up; <see cref="TunLinkOptions.TxQueueLength"/> sets the queue's length).
/// </param>
/// <param name="RxPackets">Packets the stack wrote that the kernel took in.</param>
/// <param name="RxBytes">Bytes of those packets.</param>
/// <param name="RxDropped">Packets the stack wrote that the kernel dropped (its input backlog was full, or the packet was malformed).</param>
public sealed record TunDeviceCounters(long TxPackets, long TxBytes, long TxDropped, long RxPackets, long RxBytes, long RxDropped)
{
    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"device: to the stack {TxPackets} packets, {TxDropped} dropped at the queue; from the stack {RxPackets} packets, {RxDropped} dropped");

    /// <summary>Finds <paramref name="device"/>'s line in the text of <c>/proc/net/dev</c>; null when it is not there.</summary>
    public static TunDeviceCounters? Parse(string procNetDev, string device)
    {
        ArgumentNullException.ThrowIfNull(procNetDev);
        foreach (var line in procNetDev.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0 || line.AsSpan(0, colon).Trim().SequenceEqual(device) is false) continue;
            // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop ...
            var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 12) return null;
            long N(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
            return new TunDeviceCounters(TxPackets: N(9), TxBytes: N(8), TxDropped: N(11), RxPackets: N(1), RxBytes: N(0), RxDropped: N(3));
        }
        return null;
    }

    /// <summary>
    /// Opens <c>/proc/thread-self/net/dev</c> from the calling thread: the file stays bound to that
    /// thread's network namespace, wherever it is read from later.
    /// </summary>
    internal static SafeFileHandle? OpenForThisNamespace()
    {
        try
        {
            return File.OpenHandle("/proc/thread-self/net/dev", FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads the counters of <paramref name="device"/> through a handle from <see cref="OpenForThisNamespace"/>.</summary>
    internal static TunDeviceCounters? Read(SafeFileHandle handle, string device)
    {
        var buffer = new byte[64 * 1024];
        int length = 0;
        try
        {
            // Reading from offset 0 makes the kernel render the file afresh.
            while (length < buffer.Length)
            {
                int n = RandomAccess.Read(handle, buffer.AsSpan(length), length);
                if (n == 0) break;
                length += n;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            return null;
        }
        return Parse(System.Text.Encoding.ASCII.GetString(buffer, 0, length), device);
    }
}
