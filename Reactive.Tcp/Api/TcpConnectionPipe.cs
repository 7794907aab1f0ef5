using System.IO.Pipelines;

namespace Reactive.Tcp.Api;

/// <summary>
/// An <see cref="IDuplexPipe"/> over a connection's stream: reads ask the connection for at most
/// the pipe's buffer size at a time, so a slow consumer closes the TCP window rather than buffering
/// without bound; completing the output sends FIN.
/// </summary>
internal sealed class TcpConnectionPipe : IDuplexPipe
{
    public TcpConnectionPipe(Stream stream)
    {
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: false));
    }

    /// <inheritdoc />
    public PipeReader Input { get; }

    /// <inheritdoc />
    public PipeWriter Output { get; }
}
