using Reactive.Tcp.Api;
using Reactive.Tcp.Tcp;

namespace RxTcp.Cli.Apps;

/// <summary>
/// The echo service (RFC 862, port 7): every byte received is sent back. When the client
/// half-closes, whatever is still in flight is echoed and then the server closes too.
/// </summary>
/// <remarks>
/// It reads through the connection's credit-based <see cref="TcpConnection.AsStream"/> and asks for
/// the next chunk only once the previous one is in the send buffer: a client that sends without
/// reading its echo sees the server's receive window close, rather than the server buffering
/// without bound.
/// </remarks>
public static class EchoApp
{
    /// <summary>The well-known port.</summary>
    public const ushort DefaultPort = 7;

    private const int ChunkSize = 64 * 1024;

    /// <summary>Serves one connection until the client's FIN (or a reset); runs in the background.</summary>
    public static void Serve(TcpConnection connection) => _ = ServeAsync(connection);

    /// <summary>Serves one connection; the task ends when the connection has been closed (or aborted).</summary>
    public static async Task ServeAsync(TcpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var stream = connection.AsStream();
        var buffer = new byte[ChunkSize];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                // SendAsync completes once the bytes are copied into the send buffer, so the buffer is free again.
                await connection.SendAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            }
            await stream.DisposeAsync().ConfigureAwait(false); // FIN after the last echoed byte
        }
        catch (Exception e) when (e is IOException or TcpException or InvalidOperationException)
        {
            connection.Abort();
        }
    }
}
