using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using static Tmds.Linux.LibC;

namespace Reactive.Tcp.Linux;

/// <summary>
/// A named network namespace (<c>ip netns add rxt-xxxxxxxx</c>) created for a test or a command,
/// with the loopback device up and nothing else: no route leaves it. Runs commands and background
/// processes inside it, runs code on a thread that has entered it (so sockets and TUN devices
/// created there belong to it), and deletes it on <see cref="Dispose"/>, stopping the processes it
/// started first. Needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    private readonly List<NamespaceProcess> _processes = new();
    private readonly bool _owned;
    private int _disposed;

    private NetworkNamespace(string name, bool owned = true)
    {
        Name = name;
        _owned = owned;
    }

    /// <summary>The namespace's name, as <c>ip netns</c> knows it.</summary>
    public string Name { get; }

    /// <summary>The bind-mounted namespace file that <c>setns()</c> opens.</summary>
    public string Path => $"/run/netns/{Name}";

    /// <summary>
    /// Creates a namespace named <c><paramref name="prefix"/>-</c> plus eight random hex digits
    /// and brings its loopback device up.
    /// </summary>
    /// <exception cref="TunException">It cannot be created (not root, no iproute2).</exception>
    public static NetworkNamespace Create(string prefix = "rxt")
    {
        for (int attempt = 0; ; attempt++)
        {
            var name = $"{prefix}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";
            if (name.Length > 64) throw new ArgumentException("Namespace prefix is too long.", nameof(prefix));
            if (File.Exists($"/run/netns/{name}")) continue;
            var added = ChildProcess.Run(["ip", "netns", "add", name], DefaultTimeout);
            if (!added.Succeeded)
            {
                if (attempt < 3 && File.Exists($"/run/netns/{name}")) continue; // lost a race for the name
                throw new TunException($"Cannot create network namespace {name} ({added.StandardError.Trim()}): run as root with iproute2 installed.");
            }
            var ns = new NetworkNamespace(name);
            try
            {
                ChildProcess.Run(["ip", "-n", name, "link", "set", "lo", "up"], DefaultTimeout).EnsureSuccess();
            }
            catch
            {
                ns.Dispose();
                throw;
            }
            return ns;
        }
    }

    /// <summary>
    /// Uses an existing named namespace (one that <c>ip netns add</c> made) without taking it over:
    /// <see cref="Dispose"/> stops the processes started through this object but leaves the
    /// namespace, and the devices in it, in place.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a plain namespace name.</exception>
    /// <exception cref="TunException">No such namespace.</exception>
    public static NetworkNamespace Attach(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        // A name is one path component under /run/netns; anything else could point setns() elsewhere.
        if (name.Length == 0 || name.Length > 64 || name is "." or ".." || name.Any(c => c is '/' or '\0' || char.IsWhiteSpace(c)))
            throw new ArgumentException($"'{name}' is not a network namespace name.", nameof(name));
        if (!File.Exists($"/run/netns/{name}"))
            throw new TunException($"There is no network namespace '{name}' (create it first: ip netns add {name}).");
        return new NetworkNamespace(name, owned: false);
    }

    /// <summary>
    /// Whether the calling thread may create a TUN device without an explicit override: it is not
    /// in the machine's initial network namespace, or, when that cannot be told (PID 1's namespace
    /// unreadable), it is inside one that <c>ip netns add</c> made. <see cref="TunLink"/> refuses otherwise.
    /// </summary>
    public static bool CurrentThreadIsIsolated() => NamespaceGuard.SafeToCreateDevice();

    /// <summary>True when <see cref="Dispose"/> deletes the namespace (it was made by <see cref="Create"/>).</summary>
    public bool Owned => _owned;

    /// <summary>Runs <paramref name="command"/> inside the namespace (<c>ip netns exec</c>) and waits up to a minute for it.</summary>
    public CommandResult Run(params string[] command) => Run(DefaultTimeout, command);

    /// <summary>Runs <paramref name="command"/> inside the namespace; it is killed (by PID) after <paramref name="timeout"/>.</summary>
    public CommandResult Run(TimeSpan timeout, params string[] command) =>
        ChildProcess.Run(["ip", "netns", "exec", Name, .. command], timeout);

    /// <summary>
    /// Starts <paramref name="command"/> in the background inside the namespace. It is stopped by
    /// PID on <see cref="NamespaceProcess.Dispose"/> or, at the latest, when the namespace is disposed.
    /// </summary>
    public NamespaceProcess Start(params string[] command)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var process = NamespaceProcess.Start(["ip", "netns", "exec", Name, .. command]);
        lock (_processes) _processes.Add(process);
        return process;
    }

    /// <summary>
    /// Runs <paramref name="function"/> on a new thread that has entered the namespace with
    /// <c>setns()</c>, and waits for it. Sockets, TUN devices and child processes created inside
    /// belong to the namespace and stay there after the thread ends. Exceptions are rethrown here.
    /// </summary>
    public T Invoke<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        // A fresh thread, never a pool thread: its namespace changes for good, and it dies afterwards.
        var thread = new Thread(() =>
        {
            try
            {
                Enter();
                result = function();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }) { IsBackground = true, Name = $"netns {Name}" };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="action"/> on a thread inside the namespace (see <see cref="Invoke{T}(Func{T})"/>).</summary>
    public void Invoke(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Invoke<bool>(() => { action(); return true; });
    }

    /// <summary>
    /// Opens a <see cref="TunLink"/> from inside the namespace, so the device is created there (and
    /// configured there when the options carry addresses). The link's reader thread may run anywhere:
    /// the descriptor stays bound to the device.
    /// </summary>
    public TunLink OpenTun(TunLinkOptions options) => Invoke(() => new TunLink(options));

    /// <summary>Opens the queues of a multi-queue TUN device from inside the namespace (see <see cref="TunLink.OpenQueues"/>).</summary>
    public IReadOnlyList<TunLink> OpenTunQueues(TunLinkOptions options, int queues) => Invoke(() => TunLink.OpenQueues(options, queues));

    /// <summary>
    /// Stops the processes started here (by PID) and, when this object created the namespace,
    /// deletes it, which removes its devices.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        NamespaceProcess[] processes;
        lock (_processes) processes = _processes.ToArray();
        foreach (var process in processes) process.Dispose();
        if (_owned) ChildProcess.Run(["ip", "netns", "del", Name], DefaultTimeout);
    }

    /// <inheritdoc />
    public override string ToString() => $"netns {Name}";

    private unsafe void Enter()
    {
        int fd;
        var path = System.Text.Encoding.UTF8.GetBytes(Path + "\0");
        fixed (byte* p = path) fd = open(p, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
        {
            int error = errno;
            throw new TunException($"Cannot open {Path}: {Errno.Describe(error)}. Was the namespace deleted?", error);
        }
        try
        {
            if (setns(fd, CLONE_NEWNET) < 0)
            {
                int error = errno;
                throw new TunException($"Cannot enter network namespace {Name}: {Errno.Describe(error)}. Run as root (CAP_SYS_ADMIN).", error);
            }
        }
        finally
        {
            close(fd);
        }
    }
}
