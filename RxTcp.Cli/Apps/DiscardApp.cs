using Reactive.Tcp.Api;

namespace RxTcp.Cli.Apps;

/// <summary>The discard service (RFC 863, port 9): reads and drops everything, closes after the client's FIN.</summary>
public static class DiscardApp
{
    /// <summary>The well-known port.</summary>
    public const ushort DefaultPort = 9;

    /// <summary>Serves one connection: consumes its bytes as fast as they come (the window stays open).</summary>
    public static void Serve(TcpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Received.Subscribe(_ => { }, _ => { }, connection.Close);
    }
}
