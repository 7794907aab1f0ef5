namespace Reactive.Tcp.AspNetCore;

/// <summary>A connection's item bag; Kestrel's own type for it is internal.</summary>
internal sealed class ConnectionItems : Dictionary<object, object?>
{
}
