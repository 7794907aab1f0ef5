namespace Reactive.Tcp.Linux;

/// <summary>
/// A TUN device or a network namespace could not be set up. The message says what went wrong and
/// what to do about it; <see cref="Errno"/> keeps the raw error for logs.
/// </summary>
public sealed class TunException : Exception
{
    /// <summary>Creates the exception with an actionable message.</summary>
    public TunException(string message, int errno = 0, Exception? inner = null) : base(message, inner)
    {
        Errno = errno;
    }

    /// <summary>The <c>errno</c> of the failing call, or 0 when the failure was not a system call.</summary>
    public int Errno { get; }
}
