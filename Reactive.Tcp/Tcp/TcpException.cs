using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Tcp;

/// <summary>A connection failed: refused, reset, timed out or aborted.</summary>
public sealed class TcpException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>.</summary>
    public TcpException(TcpError error, string? detail = null)
        : base(detail ?? Describe(error)) => Error = error;

    /// <summary>Why the connection failed.</summary>
    public TcpError Error { get; }

    private static string Describe(TcpError error) => error switch
    {
        TcpError.Refused => "Connection refused: the peer answered with a reset.",
        TcpError.Reset => "Connection reset by the peer.",
        TcpError.TimedOut => "Connection timed out: retransmissions went unacknowledged.",
        TcpError.Aborted => "Connection aborted locally.",
        _ => "Connection closed.",
    };
}
