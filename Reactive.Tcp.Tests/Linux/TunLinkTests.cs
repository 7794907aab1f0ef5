using System.Diagnostics;
using Reactive.Tcp.Linux;
using Xunit;
using Xunit.Abstractions;

namespace Reactive.Tcp.Tests.Linux;

/// <summary>Serialises the Linux interop tests: they share CPU-bound transfers whose timings we report.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LinuxInteropCollection
{
    public const string Name = "Linux interop";
}

[Collection(LinuxInteropCollection.Name)]
public class TunLinkTests(ITestOutputHelper output)
{
    [LinuxRootFact]
    public void The_device_is_created_inside_the_namespace_configured_and_removed_on_dispose()
    {
        using var ns = NetworkNamespace.Create();
        var link = ns.OpenTun(new TunLinkOptions { Name = "rxt0", Mtu = 1400, KernelAddress = TunInterop.KernelAddress, StackAddress = TunInterop.StackAddress });
        try
        {
            Assert.Equal("rxt0", link.Name);
            var shown = ns.Run("ip", "addr", "show", "dev", "rxt0").EnsureSuccess().StandardOutput;
            output.WriteLine(shown);
            Assert.Contains("inet 192.0.2.1 peer 192.0.2.2/32", shown);
            Assert.Contains("mtu 1400", shown);
            Assert.Contains(",UP", shown);
            Assert.DoesNotContain("inet6", shown);
            Assert.Equal("1", File.Exists("/proc/sys/net/ipv6") ? ns.Run("sysctl", "-n", "net.ipv6.conf.rxt0.disable_ipv6").StandardOutput.Trim() : "1");
            // Not in the namespace this process lives in.
            Assert.False(RunHere("ip", "link", "show", "rxt0") == 0, "an rxt0 device is visible outside the namespace");
        }
        finally
        {
            link.Dispose();
        }
        Assert.False(ns.Run("ip", "link", "show", "rxt0").Succeeded, "the device outlived the link");
        link.Dispose(); // twice is harmless
    }

    [LinuxRootFact]
    public void Opening_in_the_initial_namespace_is_refused_with_advice()
    {
        // Only meaningful when this thread is not in a namespace of its own. Where PID 1's namespace
        // cannot be read (a non-dumpable PID 1, as in some sandboxes), "not isolated" means "not in an
        // ip-netns namespace", and the link must refuse then too.
        if (NetworkNamespace.CurrentThreadIsIsolated()) return;
        var e = Assert.Throws<TunException>(() => new TunLink(new TunLinkOptions { Name = "rxtnever0" }));
        output.WriteLine(e.Message);
        Assert.Contains("network namespace", e.Message);
        Assert.False(Directory.Exists("/sys/class/net/rxtnever0"));
    }

    [LinuxRootFact]
    public void Attaching_to_a_named_namespace_uses_it_without_deleting_it()
    {
        using var owner = NetworkNamespace.Create();
        using (var attached = NetworkNamespace.Attach(owner.Name))
        {
            Assert.False(attached.Owned);
            Assert.True(attached.Invoke(NetworkNamespace.CurrentThreadIsIsolated));
            using var link = attached.OpenTun(new TunLinkOptions { Name = "rxt0" });
            Assert.True(owner.Run("ip", "link", "show", "rxt0").Succeeded);
        }
        Assert.True(File.Exists(owner.Path), "disposing an attached namespace deleted it");
        Assert.Throws<TunException>(() => NetworkNamespace.Attach("rxt-does-not-exist"));
        Assert.Throws<ArgumentException>(() => NetworkNamespace.Attach("../etc"));
    }

    [LinuxRootFact]
    public void A_device_in_use_gives_one_clear_error()
    {
        using var ns = NetworkNamespace.Create();
        using var first = ns.OpenTun(new TunLinkOptions { Name = "rxt0" });
        var e = Assert.Throws<TunException>(() => ns.OpenTun(new TunLinkOptions { Name = "rxt0" }));
        output.WriteLine(e.Message);
        Assert.Contains("busy", e.Message);
        var flags = Assert.Throws<TunException>(() => ns.OpenTun(new TunLinkOptions { Name = "rxt0", MultiQueue = true }));
        output.WriteLine(flags.Message);
        Assert.DoesNotContain("errno", flags.Message);
    }

    [LinuxRootFact]
    public void Multi_queue_devices_take_several_queues()
    {
        using var ns = NetworkNamespace.Create();
        using var a = ns.OpenTun(new TunLinkOptions { Name = "rxtmq0", MultiQueue = true });
        using var b = ns.OpenTun(new TunLinkOptions { Name = "rxtmq0", MultiQueue = true });
        Assert.Equal(a.Name, b.Name);
        Assert.Contains("multi_queue", ns.Run("ip", "-d", "link", "show", "rxtmq0").EnsureSuccess().StandardOutput);
    }

    [LinuxRootFact]
    public void IPv6_packets_from_the_kernel_are_skipped_and_counted()
    {
        using var ns = NetworkNamespace.Create();
        // Configured by hand with IPv6 left on: the kernel then sends MLD reports and router solicitations.
        using var link = ns.OpenTun(new TunLinkOptions { Name = "rxt0" });
        var delivered = 0;
        using var subscription = link.Inbound.Subscribe(_ => Interlocked.Increment(ref delivered));
        ns.Run("sysctl", "-qw", "net.ipv6.conf.rxt0.disable_ipv6=0");
        ns.Run("ip", "link", "set", "rxt0", "up").EnsureSuccess();
        var watch = Stopwatch.StartNew();
        while (link.SkippedNonIPv4 == 0 && watch.Elapsed < TimeSpan.FromSeconds(15)) Thread.Sleep(50);
        output.WriteLine($"first non-IPv4 packet after {watch.ElapsedMilliseconds} ms; skipped {link.SkippedNonIPv4}, delivered {delivered}");
        Assert.True(link.SkippedNonIPv4 > 0, "no IPv6 packet was seen: " + ns.Run("ip", "addr", "show", "dev", "rxt0").StandardOutput);
        Assert.Equal(0, delivered);
        Assert.Equal(0, link.ReadErrors);
    }

    private static int RunHere(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
