namespace Reactive.Tcp.Linux;

/// <summary>The outcome of a finished child process.</summary>
/// <param name="Command">The command line that ran, for messages.</param>
/// <param name="ExitCode">Its exit code (-1 when it was killed for running too long).</param>
/// <param name="StandardOutput">Everything it wrote to stdout.</param>
/// <param name="StandardError">Everything it wrote to stderr.</param>
public sealed record CommandResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>True when the exit code was 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Returns this result, or throws a <see cref="TunException"/> quoting the command and its stderr.</summary>
    public CommandResult EnsureSuccess()
    {
        if (!Succeeded)
            throw new TunException($"`{Command}` exited with {ExitCode}: {StandardError.Trim()}{(StandardOutput.Length > 0 ? " " + StandardOutput.Trim() : "")}");
        return this;
    }
}
