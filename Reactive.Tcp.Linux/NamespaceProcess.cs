using System.Diagnostics;
using System.Text;

namespace Reactive.Tcp.Linux;

/// <summary>
/// A background process started inside a <see cref="NetworkNamespace"/>. Its output is collected;
/// <see cref="Dispose"/> ends it by its PID (and any children it spawned), never by name.
/// </summary>
public sealed class NamespaceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private int _disposed;

    private NamespaceProcess(Process process, string command)
    {
        _process = process;
        Command = command;
    }

    /// <summary>The command line that was started.</summary>
    public string Command { get; }

    /// <summary>The process id (<c>ip netns exec</c> execs the command, so this is the command itself).</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code, once it has ended.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Everything it printed so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the process to end on its own.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit();
        return true;
    }

    /// <summary>
    /// Ends the process if it still runs: SIGTERM to its PID first, so tools like tcpdump flush
    /// their output, then after two seconds SIGKILL to it and its descendants. Waits for it.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (!_process.HasExited)
            {
                _ = Tmds.Linux.LibC.kill(_process.Id, Tmds.Linux.LibC.SIGTERM);
                if (!_process.WaitForExit(TimeSpan.FromSeconds(2)))
                    _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"[{Id}] {Command}";

    internal static NamespaceProcess Start(IReadOnlyList<string> command)
    {
        var rendered = ChildProcess.Render(command);
        Process process;
        try
        {
            process = Process.Start(ChildProcess.StartInfo(command)) ?? throw new TunException($"`{rendered}` did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TunException($"`{rendered}` could not start ({e.Message}).", e.NativeErrorCode, e);
        }
        var result = new NamespaceProcess(process, rendered);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (result._output) result._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (result._output) result._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }
}
