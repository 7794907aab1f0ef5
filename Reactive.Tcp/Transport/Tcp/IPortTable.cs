namespace Reactive.Tcp.Transport;

/// <summary>The local ports a stack's listeners and connections hold, for callers to read.</summary>
public interface IPortTable
{
    /// <summary>True when some listener or connection holds <paramref name="port"/>.</summary>
    bool InUse(ushort port);
}
