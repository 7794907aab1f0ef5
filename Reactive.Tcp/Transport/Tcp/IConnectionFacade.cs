using Reactive.Tcp.Tcp;

namespace Reactive.Tcp.Transport;

/// <summary>
/// The other direction of the seam (see <see cref="IConnectionSeam"/>): what the transport tells
/// the application-facing object of a connection, which the API layer makes
/// (<see cref="TcpTransport"/>'s facade factory) once the connection is established.
/// </summary>
internal interface IConnectionFacade
{
    /// <summary>The connection moved to <paramref name="state"/>.</summary>
    void OnState(TcpState state);

    /// <summary>The connection is gone; <paramref name="error"/> says why if abnormally.</summary>
    void OnTerminated(TcpError error);
}
