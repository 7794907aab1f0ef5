using System.Buffers.Binary;
using System.Reactive.Concurrency;
using Microsoft.Reactive.Testing;
using Xunit;

namespace Reactive.Tcp.Tests.Links;

/// <summary>Small helpers shared by the link tests.</summary>
internal static class PacketHelpers
{
    /// <summary>A packet whose first four bytes carry <paramref name="id"/>, padded with a pattern.</summary>
    public static byte[] Packet(int id, int length = 64)
    {
        var bytes = new byte[Math.Max(length, 4)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, id);
        for (var i = 4; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(id * 31 + i);
        }

        return bytes;
    }

    public static int IdOf(ReadOnlyMemory<byte> packet) => BinaryPrimitives.ReadInt32BigEndian(packet.Span);

    public static int BitDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        var bits = 0;
        for (var i = 0; i < a.Length; i++)
        {
            bits += System.Numerics.BitOperations.PopCount((uint)(a[i] ^ b[i]));
        }

        return bits;
    }

    public static long Ms(double ms) => TimeSpan.FromMilliseconds(ms).Ticks;
}

/// <summary>Counts what is scheduled, to check that the wire batches deliveries.</summary>
internal sealed class CountingScheduler(TestScheduler inner) : IScheduler
{
    public int Scheduled { get; private set; }

    public DateTimeOffset Now => inner.Now;

    public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action)
    {
        Scheduled++;
        return inner.Schedule(state, (_, s) => action(this, s));
    }

    public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        Scheduled++;
        return inner.Schedule(state, dueTime, (_, s) => action(this, s));
    }

    public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        Scheduled++;
        return inner.Schedule(state, dueTime, (_, s) => action(this, s));
    }
}
