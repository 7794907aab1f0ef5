using System.Runtime.InteropServices;

namespace RxTcp.Cli;

/// <summary>
/// Turns SIGINT (Ctrl-C) and SIGTERM into a cancellation, so a command can close its connections
/// and remove its device before exiting. A second signal exits at once (status 130).
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The signal that arrived, if any.</summary>
    public PosixSignal? Received { get; private set; }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cancel.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true; // we shut down ourselves
        if (Received is not null)
        {
            Console.Error.WriteLine("rxtcp: second signal, exiting without cleaning up.");
            Environment.Exit(130);
        }
        Received = context.Signal;
        _cancel.Cancel();
    }
}
