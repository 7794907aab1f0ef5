using System.Globalization;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Marbles;

namespace Reactive.Tcp.Tests.Conformance;

/// <summary>
/// How a scenario's <see cref="TcpConfig"/> is reproduced on the Linux kernel: namespace sysctls,
/// attributes of the route to the scripted peer, and socket options. A setting Linux has no knob
/// for makes the scenario "n/a for Linux" (<see cref="NotApplicable"/>); settings whose Linux
/// knob is only an approximation are listed in <see cref="Approximations"/>.
/// </summary>
internal sealed class KernelProfile
{
    private static readonly TcpConfig Rx = TcpConfig.Default;

    /// <summary>Why the scenario cannot run on Linux, or null.</summary>
    public string? NotApplicable { get; private init; }

    /// <summary><c>sysctl -w</c> settings for the namespace (all of them are per network namespace).</summary>
    public List<(string Key, string Value)> Sysctls { get; } = new();

    /// <summary>Attributes appended to <c>ip route replace REMOTE dev TUN ...</c>.</summary>
    public List<string> RouteAttributes { get; } = new();

    /// <summary>TCP_MAXSEG, when the scenario overrides the MSS.</summary>
    public int? MaxSeg { get; private set; }

    /// <summary>SO_RCVBUF, when the scenario sets a receive buffer other than RxTcp's default.</summary>
    public int? ReceiveBuffer { get; private set; }

    /// <summary>SO_SNDBUF, when the scenario sets a send buffer other than RxTcp's default.</summary>
    public int? SendBuffer { get; private set; }

    /// <summary>TCP_NODELAY.</summary>
    public bool NoDelay { get; private set; }

    /// <summary>TCP_SYNCNT for an active open.</summary>
    public int SynCount { get; private set; }

    /// <summary>SO_KEEPALIVE with TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (seconds, seconds, count).</summary>
    public (int Idle, int Interval, int Count)? KeepAlive { get; private set; }

    /// <summary>Settings Linux reproduces only approximately (worth knowing when the scenario diverges).</summary>
    public List<string> Approximations { get; } = new();

    /// <summary>The TUN device's MTU (the scenario's <c>mtu</c>).</summary>
    public int Mtu { get; private set; } = 1500;

    public static KernelProfile For(MarbleScenario sc)
    {
        var c = sc.Config;
        string? na = null;
        if (c.FixedRto is { } fixedRto) na = $"a fixed RTO of {Ms(fixedRto)} with no backoff (minimart's transmit-check) has no Linux equivalent";
        else if (c.InitialRto != TimeSpan.FromSeconds(1)) na = $"initial RTO {Ms(c.InitialRto)}: Linux's is fixed at 1 s (TCP_TIMEOUT_INIT)";
        else if (c.InitialCongestionWindowSegments == 0) na = "cwnd=0 (no congestion control) has no Linux equivalent";
        else if (c.DupAckThreshold == 0) na = "dupack=0 (no fast retransmit) has no Linux equivalent";
        else if (c.DefaultPeerMss != 536) na = $"peermss={c.DefaultPeerMss}: Linux always assumes 536 without an MSS option";
        else if (c.Msl != Rx.Msl) na = $"msl={Ms(c.Msl)}: Linux's TIME-WAIT is fixed at 60 s";
        else if (c.KeepAliveIdle is { } idle && (!WholeSeconds(idle) || !WholeSeconds(c.KeepAliveInterval)))
            na = "keep-alive times that are not whole seconds cannot be set on Linux";
        if (na is null && sc.Segments.Values.Any(d => d.IcmpCode is not null))
            na = "injects ICMP errors (an `icmp` def), which the Linux runner does not write to the TUN device";
        if (na is not null) return new KernelProfile { NotApplicable = na };

        var p = new KernelProfile { Mtu = c.Mtu };
        p.Sysctls.Add(("net.ipv4.tcp_window_scaling", c.WindowScaling ? "1" : "0"));
        p.Sysctls.Add(("net.ipv4.tcp_sack", c.Sack ? "1" : "0"));
        p.Sysctls.Add(("net.ipv4.tcp_timestamps", c.Timestamps ? "1" : "0"));
        p.Sysctls.Add(("net.ipv4.tcp_retries2", c.MaxRetransmissions.ToString(CultureInfo.InvariantCulture)));
        p.Sysctls.Add(("net.ipv4.tcp_synack_retries", c.MaxSynRetransmissions.ToString(CultureInfo.InvariantCulture)));
        p.Sysctls.Add(("net.ipv4.tcp_reordering", c.DupAckThreshold.ToString(CultureInfo.InvariantCulture)));
        // Linux's tcp_ecn: 0 never, 1 ask on active opens too, 2 accept only (its default, and ours).
        p.Sysctls.Add(("net.ipv4.tcp_ecn", c.Ecn switch { EcnMode.On => "1", EcnMode.Accept => "2", _ => "0" }));
        p.SynCount = Math.Clamp(c.MaxSynRetransmissions, 1, 127);
        // The listener's limits. Linux's listen(0) still admits a SYN to its queue (full means more
        // than the backlog), so only tcp_syncookies=2 (a cookie for every SYN) reproduces "backlog 0".
        var limits = sc.Limits;
        p.Sysctls.Add(("net.ipv4.tcp_syncookies", !limits.SynCookies ? "0" : limits.ListenBacklog == 0 ? "2" : "1"));
        if (limits.ListenBacklog == 0)
            p.Approximations.Add(limits.SynCookies
                ? "backlog=0 → tcp_syncookies=2: Linux sends a cookie for every SYN (its listen(0) queue would still take one)"
                : "backlog=0 with syncookies=off: Linux's listen(0) still admits one SYN to its queue");
        p.Sysctls.Add(("net.ipv4.tcp_challenge_ack_limit", limits.ChallengeAcksPerSecond.ToString(CultureInfo.InvariantCulture)));

        p.RouteAttributes.Add("rto_min");
        p.RouteAttributes.Add($"{(long)c.MinRto.TotalMilliseconds}ms");
        p.RouteAttributes.Add("initcwnd");
        p.RouteAttributes.Add(c.InitialCongestionWindowSegments.ToString(CultureInfo.InvariantCulture));
        if (c.DelayedAck == TimeSpan.Zero)
        {
            p.RouteAttributes.Add("quickack");
            p.RouteAttributes.Add("1");
        }
        else if (c.DelayedAck != Rx.DelayedAck)
        {
            p.Approximations.Add($"delack={Ms(c.DelayedAck)}: Linux's delayed-ACK timer cannot be set (40 ms minimum, adaptive)");
        }
        if (c.MaxRetransmissions != Rx.MaxRetransmissions)
            p.Approximations.Add($"retries={c.MaxRetransmissions} → tcp_retries2, which Linux turns into a time budget computed from a 200 ms RTO, not a count");
        if (c.MssOverride is { } mss) p.MaxSeg = mss;
        if (c.ReceiveBufferSize != Rx.ReceiveBufferSize)
        {
            p.ReceiveBuffer = c.ReceiveBufferSize;
            p.Approximations.Add($"rcvbuf={c.ReceiveBufferSize} → SO_RCVBUF, which Linux doubles (for overhead) and floors at 2304 bytes");
        }
        if (c.SendBufferSize != Rx.SendBufferSize) p.SendBuffer = c.SendBufferSize;
        p.NoDelay = c.NoDelay;
        if (c.KeepAliveIdle is { } keepIdle)
            p.KeepAlive = ((int)keepIdle.TotalSeconds, (int)c.KeepAliveInterval.TotalSeconds, c.KeepAliveProbes);
        return p;
    }

    private static bool WholeSeconds(TimeSpan t) => t.Ticks % TimeSpan.TicksPerSecond == 0 && t >= TimeSpan.FromSeconds(1);

    private static string Ms(TimeSpan t) => MarbleParser.FormatDuration(t.Ticks);
}
