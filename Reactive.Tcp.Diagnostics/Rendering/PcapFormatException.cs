namespace Reactive.Tcp.Diagnostics.Rendering;

/// <summary>A capture file that is not a classic libpcap file, or is cut short or garbled.</summary>
public sealed class PcapFormatException : Exception
{
    /// <summary>Creates the exception with a message saying what is wrong and where.</summary>
    public PcapFormatException(string message)
        : base(message)
    {
    }
}
