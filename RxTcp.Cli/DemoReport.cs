using System.Globalization;

namespace RxTcp.Cli;

/// <summary>Prints a <see cref="DemoResult"/> as the plain-text summary the demo ends with.</summary>
internal static class DemoReport
{
    /// <summary>Writes the summary of <paramref name="r"/> to <paramref name="o"/>.</summary>
    public static void Write(TextWriter o, DemoResult r)
    {
        var s = r.Settings;
        var culture = CultureInfo.InvariantCulture;
        string F(FormattableString text) => text.ToString(culture);

        o.WriteLine(F($"rxtcp demo: {ByteSize.Format(s.Bytes)} each way over an in-memory wire (MTU {s.Mtu}, loss {s.LossPercent:0.##} % each way, delay {s.Delay.TotalMilliseconds:0.##} ms{(s.CongestionPercent > 0 ? F($", congestion {s.CongestionPercent:0.##} % each way") : "")}{(s.Ecn ? ", ECN on" : "")}), seed {s.Seed}, {(s.Clock == DemoClock.Virtual ? "virtual" : "real")} clock"));
        o.WriteLine(F($"  client {r.Client.LocalEndPoint ?? DemoRunner.ClientAddress.ToString()}  ->  server {r.Server.LocalEndPoint ?? $"{DemoRunner.ServerAddress}:{DemoRunner.ServerPort}"}"));
        o.WriteLine();

        o.WriteLine("  direction        bytes          wall time      MiB/s     Mbit/s");
        Throughput(o, "client -> server", r.Server.BytesReceived, r.Server.ReceiveCompleted ? r.Server.ReceiveCompletedWall : r.Wall);
        Throughput(o, "server -> client", r.Client.BytesReceived, r.Client.ReceiveCompleted ? r.Client.ReceiveCompletedWall : r.Wall);
        var both = r.Server.ReceiveCompleted && r.Client.ReceiveCompleted
            ? Max(r.Server.ReceiveCompletedWall, r.Client.ReceiveCompletedWall)
            : r.Wall;
        Throughput(o, "total", r.Server.BytesReceived + r.Client.BytesReceived, both);
        o.WriteLine(F($"  elapsed          {r.Wall.TotalSeconds:0.000} s wall, start to both sides CLOSED (TIME-WAIT {2 * s.Msl.TotalSeconds:0.###} s)"));
        if (r.Clock is { } clock)
        {
            var transfer = r.Server.ReceiveCompleted && r.Client.ReceiveCompleted
                ? F($"{Max(r.Server.ReceiveCompletedClock, r.Client.ReceiveCompletedClock).TotalSeconds:0.000} s")
                : "-";
            o.WriteLine(F($"  simulated time   {transfer} to transfer both ways, {clock.TotalSeconds:0.000} s to both sides CLOSED"));
        }
        o.WriteLine();

        o.WriteLine("                   server         client");
        Row(o, "segments sent", r.Server.SegmentsSent, r.Client.SegmentsSent);
        Row(o, "retransmissions", r.Server.Retransmissions, r.Client.Retransmissions);
        Row(o, "lost on the wire", r.Server.LostOnWire, r.Client.LostOnWire, "(of the segments each side sent)");
        if (s.CongestionPercent > 0 || s.Ecn)
            Row(o, "marked CE", r.Server.CeMarkedOnWire, r.Client.CeMarkedOnWire, "(congested but ECN-capable: marked, not dropped)");
        Row(o, "dropped by stack", r.Server.DroppedByStack, r.Client.DroppedByStack,
            JoinNonEmpty(Label("server", r.Server.DropReasons), Label("client", r.Client.DropReasons)));
        o.WriteLine($"  {"final state",-16} {DemoResult.Describe(r.Server.FinalState),-14} {DemoResult.Describe(r.Client.FinalState)}");
        if (r.Server.PipelineFaults + r.Client.PipelineFaults > 0)
            Row(o, "pipeline faults", r.Server.PipelineFaults, r.Client.PipelineFaults, "(exceptions contained by the stack)");
        o.WriteLine();

        Hashes(o, "client", r.Client.SentDigest, "server", r.Server.ReceivedDigest);
        Hashes(o, "server", r.Server.SentDigest, "client", r.Client.ReceivedDigest);
        o.WriteLine();
    }

    private static void Throughput(TextWriter o, string label, long bytes, TimeSpan time)
    {
        double seconds = Math.Max(time.TotalSeconds, 1e-9);
        double mibPerSecond = bytes / (1024.0 * 1024.0) / seconds;
        double mbitPerSecond = bytes * 8 / 1e6 / seconds;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {label,-16} {ByteSize.Format(bytes),-14} {time.TotalSeconds,8:0.000} s {mibPerSecond,12:0.00} {mbitPerSecond,10:0.0}"));
    }

    private static void Row(TextWriter o, string label, long server, long client, string note = "") =>
        o.WriteLine($"  {label,-16} {server,-14} {client,-14} {note}".TrimEnd());

    private static void Hashes(TextWriter o, string sender, byte[] sent, string receiver, byte[] received)
    {
        bool match = sent.AsSpan().SequenceEqual(received);
        o.WriteLine($"  sha256 {sender} sent     {Convert.ToHexStringLower(sent)}");
        o.WriteLine($"  sha256 {receiver} received {Convert.ToHexStringLower(received)}  {(match ? "match" : "MISMATCH")}");
    }

    private static string Label(string name, string reasons) => reasons.Length == 0 ? "" : $"{name}: {reasons}";

    private static string JoinNonEmpty(params string[] parts)
    {
        var text = string.Join("; ", parts.Where(p => p.Length > 0));
        return text.Length == 0 ? "" : $"({text})";
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
