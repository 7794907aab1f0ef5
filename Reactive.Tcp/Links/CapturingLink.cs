using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Reactive.Tcp.Wire;

namespace Reactive.Tcp.Links;

/// <summary>
/// A scripted link for tests and marble runners: the test injects inbound packets and observes
/// (or reads back) everything the stack under test sent, stamped with the scheduler's clock.
/// </summary>
/// <remarks>
/// Unlike <see cref="VirtualWire"/>, <see cref="Inject"/> delivers synchronously: the test decides
/// when a packet arrives, typically from a scheduled action at a chosen virtual time. Sent packets
/// are copied into the history so that it stays valid whatever the stack does with its buffers.
/// </remarks>
public sealed class CapturingLink : ILink
{
    private readonly IScheduler _scheduler;
    private readonly Subject<ReadOnlyMemory<byte>> _inbound = new();
    private readonly Subject<ReadOnlyMemory<byte>> _sent = new();
    private readonly List<(DateTimeOffset At, byte[] Packet)> _history = [];
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>Creates a link whose send timestamps come from <paramref name="scheduler"/>.</summary>
    /// <param name="scheduler">Clock for <see cref="SentPackets"/>.</param>
    /// <param name="mtu">MTU the link reports (sends are recorded whatever their size).</param>
    public CapturingLink(IScheduler scheduler, int mtu = 1500)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
        _scheduler = scheduler;
        Mtu = mtu;
        Inbound = _inbound.AsObservable();
        Sent = _sent.AsObservable();
    }

    /// <inheritdoc/>
    public IObservable<ReadOnlyMemory<byte>> Inbound { get; }

    /// <inheritdoc/>
    public int Mtu { get; }

    /// <summary>Every packet the stack sends, as it is sent (a copy of it); completes on disposal.</summary>
    public IObservable<ReadOnlyMemory<byte>> Sent { get; }

    /// <summary>A snapshot of everything sent so far, oldest first, with the scheduler time of each send.</summary>
    public IReadOnlyList<(DateTimeOffset At, byte[] Packet)> SentPackets
    {
        get
        {
            lock (_gate)
            {
                return _history.ToArray();
            }
        }
    }

    /// <summary>Delivers <paramref name="packet"/> to <see cref="Inbound"/>'s subscribers before returning.</summary>
    /// <param name="packet">The packet to deliver; subscribers must not mutate it.</param>
    public void Inject(ReadOnlyMemory<byte> packet)
    {
        if (!Volatile.Read(ref _disposed))
        {
            _inbound.OnNext(packet);
        }
    }

    /// <summary>Records <paramref name="packet"/> and publishes it on <see cref="Sent"/>.</summary>
    /// <param name="packet">The packet the stack sends.</param>
    public void Send(ReadOnlyMemory<byte> packet)
    {
        var copy = packet.ToArray();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _history.Add((_scheduler.Now, copy));
        }

        _sent.OnNext(copy);
    }

    /// <summary>Records a copy of <paramref name="packet"/> as <see cref="Send(ReadOnlyMemory{byte})"/> does, then releases the pooled buffer.</summary>
    /// <param name="packet">The packet the stack sends; the link releases it.</param>
    public void Send(PooledPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        try
        {
            // The history and the Sent stream get copies, so the buffer can go back at once.
            Send(packet.Memory);
        }
        finally
        {
            packet.Release();
        }
    }

    /// <summary>Forgets the send history (for example between the phases of a test).</summary>
    public void ClearSent()
    {
        lock (_gate)
        {
            _history.Clear();
        }
    }

    /// <summary>Completes <see cref="Inbound"/> and <see cref="Sent"/>; later sends and injections are ignored.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _inbound.OnCompleted();
        _sent.OnCompleted();
    }
}
