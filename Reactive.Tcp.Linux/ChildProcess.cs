using System.Diagnostics;
using System.Text;

namespace Reactive.Tcp.Linux;

/// <summary>Runs short helper programs (ip, sysctl) and collects their output.</summary>
internal static class ChildProcess
{
    public static ProcessStartInfo StartInfo(IReadOnlyList<string> command)
    {
        if (command.Count == 0) throw new ArgumentException("A command needs at least a program name.", nameof(command));
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
        return info;
    }

    public static string Render(IReadOnlyList<string> command) =>
        string.Join(' ', command.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    /// <summary>
    /// Runs <paramref name="command"/> to completion. The child is forked from the calling thread,
    /// so it inherits that thread's network namespace (which is what <see cref="TunLink"/> relies on).
    /// </summary>
    public static CommandResult Run(IReadOnlyList<string> command, TimeSpan timeout)
    {
        var rendered = Render(command);
        Process process;
        try
        {
            process = Process.Start(StartInfo(command)) ?? throw new TunException($"`{rendered}` did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TunException($"`{rendered}` could not start ({e.Message}): is {command[0]} installed (iproute2, procps)?", e.NativeErrorCode, e);
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(timeout))
            {
                // Our own child, killed by its PID.
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                lock (stderr) stderr.Append($"(killed after {timeout.TotalSeconds:0.#} s)");
                return new CommandResult(rendered, -1, stdout.ToString(), stderr.ToString());
            }
            process.WaitForExit(); // flushes the asynchronous readers
            lock (stdout) lock (stderr) return new CommandResult(rendered, process.ExitCode, stdout.ToString(), stderr.ToString());
        }
    }
}
