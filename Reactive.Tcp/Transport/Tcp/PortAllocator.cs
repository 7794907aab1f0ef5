namespace Reactive.Tcp.Transport;

/// <summary>
/// Hands out local ports: listeners claim theirs, outgoing connections get a free ephemeral one.
/// A port is in use while any listener or live connection holds it, so an ephemeral port never
/// collides with either. Thread-safe.
/// </summary>
internal sealed class PortAllocator : IPortTable
{
    private readonly Dictionary<ushort, int> _holders = new();
    private readonly ushort _first;
    private readonly ushort _last;
    private readonly Random _random;
    private readonly object _gate = new();

    /// <summary>Creates an allocator over the ephemeral range <c>[first, last]</c>.</summary>
    public PortAllocator(ushort first = 49152, ushort last = 65535, int? seed = null)
    {
        if (first == 0 || last < first) throw new ArgumentOutOfRangeException(nameof(first), "The ephemeral range must be non-empty and exclude port 0.");
        _first = first;
        _last = last;
        _random = seed is { } s ? new Random(s) : new Random();
    }

    /// <summary>True when some listener or connection holds <paramref name="port"/>.</summary>
    public bool InUse(ushort port)
    {
        lock (_gate) return _holders.ContainsKey(port);
    }

    /// <summary>Claims a specific port (listeners, or a connection on a listener's port); returns false if <paramref name="exclusive"/> and taken.</summary>
    public bool TryClaim(ushort port, bool exclusive)
    {
        lock (_gate)
        {
            _holders.TryGetValue(port, out int count);
            if (exclusive && count > 0) return false;
            _holders[port] = count + 1;
            return true;
        }
    }

    /// <summary>Claims a free ephemeral port.</summary>
    /// <exception cref="InvalidOperationException">Every ephemeral port is in use.</exception>
    public ushort AllocateEphemeral()
    {
        lock (_gate)
        {
            int range = _last - _first + 1;
            int start = _random.Next(range);
            for (int i = 0; i < range; i++)
            {
                var port = (ushort)(_first + (start + i) % range);
                if (_holders.ContainsKey(port)) continue;
                _holders[port] = 1;
                return port;
            }
        }
        throw new InvalidOperationException("No ephemeral port is free.");
    }

    /// <summary>Gives back one claim on <paramref name="port"/>.</summary>
    public void Release(ushort port)
    {
        lock (_gate)
        {
            if (!_holders.TryGetValue(port, out int count)) return;
            if (count <= 1) _holders.Remove(port);
            else _holders[port] = count - 1;
        }
    }
}
