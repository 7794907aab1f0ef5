using System.Text;
using Reactive.Tcp.Api;
using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;

namespace RxTcp.Cli.Apps;

/// <summary>
/// minimart's UDP echo (port 6667): every datagram is answered, to its sender, with
/// "You said: " followed by its bytes.
/// </summary>
public static class UdpEchoApp
{
    /// <summary>The port minimart's demo uses.</summary>
    public const ushort DefaultPort = 6667;

    /// <summary>What each reply starts with.</summary>
    public static ReadOnlySpan<byte> Prefix => "You said: "u8;

    /// <summary>Binds <paramref name="port"/> on <paramref name="stack"/> and answers until disposed.</summary>
    /// <exception cref="InvalidOperationException">The port is already bound on this stack.</exception>
    public static IDisposable Start(TcpStack stack, ushort port = DefaultPort)
    {
        ArgumentNullException.ThrowIfNull(stack);
        Exception? failure = null;
        // The largest reply that still fits the link: no IP fragmentation in the stack.
        int room = stack.Options.Tcp.Mtu - PacketBuilder.GetUdpPacketLength(0);
        var subscription = stack.ReceiveUdp(port).Subscribe(
            message =>
            {
                try
                {
                    stack.SendUdp(message.Reply(Answer(message.Data.Span, room)));
                }
                catch (ArgumentException)
                {
                    // Longer than the link takes (its MTU is below the stack's): dropped, as a router would.
                }
            },
            e => failure = e);
        if (failure is not null) throw new InvalidOperationException(failure.Message, failure);
        return subscription;
    }

    /// <summary>The reply to <paramref name="data"/>, cut to <paramref name="room"/> bytes when it would not fit.</summary>
    public static byte[] Answer(ReadOnlySpan<byte> data, int room = int.MaxValue)
    {
        var reply = new byte[Math.Min(Prefix.Length + data.Length, Math.Max(room, 0))];
        var whole = Prefix.Length + data.Length <= reply.Length;
        Span<byte> target = reply;
        if (whole)
        {
            Prefix.CopyTo(target);
            data.CopyTo(target[Prefix.Length..]);
        }
        else
        {
            // Cut the echoed part, never the prefix (unless the MTU is absurd).
            var prefix = Prefix[..Math.Min(Prefix.Length, reply.Length)];
            prefix.CopyTo(target);
            data[..(reply.Length - prefix.Length)].CopyTo(target[prefix.Length..]);
        }
        return reply;
    }

    /// <summary>The reply text for a text message (for logs and tests).</summary>
    public static string Answer(string text) => Encoding.UTF8.GetString(Answer(Encoding.UTF8.GetBytes(text)));
}
