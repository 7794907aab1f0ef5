using Reactive.Tcp.Wire;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Reactive.Tcp.Tests.Marbles;

/// <summary>The runner itself: the lane syntax, the segment notation, and what a failure looks like.</summary>
public sealed class MarbleRunnerTests(ITestOutputHelper output)
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    /// <summary>
    /// A passive close where the scenario wrongly expects the stack to send its FIN together with
    /// the ACK of the peer's FIN, and to be in LAST-ACK straight away.
    /// </summary>
    internal const string WrongScenario = """
        # Deliberately wrong: expects FIN and ACK in one segment.
        local:  192.0.2.2:80
        remote: 192.0.2.1:40000
        frame:  1ms
        config: isn=1000

        def S = [S] seq 5000 win 65535 <mss 1460>
        def s = [S.] seq 1000 ack 5001 win 65535 <mss 1460>
        def A = [.] seq 5001 ack 1001 win 65535
        def F = [F.] seq 5001 ack 1001 win 65535
        def f = [F.] seq 1001 ack 5002

        app:   L------
        in:    -S-A-F-
        out:   -s---f-
        state: LR-E-K-
        error: none
        """;

    [Fact]
    public void A_wrong_scenario_fails_with_both_lanes_drawn_and_a_legend()
    {
        var report = MarbleFiles.Check(WrongScenario, "in-memory/wrong-passive-close");
        output.WriteLine(report.Message);

        Assert.False(report.Passed);
        var m = report.Message;
        Assert.Contains("Marble scenario in-memory/wrong-passive-close failed", m);
        Assert.Contains("out at 5ms (frame 5): expected f, got 1", m);
        Assert.Contains("state at 5ms (frame 5): expected K, got W", m);
        // Expected and actual lanes, one under the other, on the same axis.
        Assert.Contains("  expected out: -s---f-", m);
        Assert.Contains("    actual out: -s---1-", m);
        Assert.Contains("expected state: LR-E-K-", m);
        Assert.Contains("  actual state: LR-E-W-", m);
        // The legend names the matched segment after its definition and numbers the other one.
        Assert.Contains("s = [S.] seq 1000 ack 5001 win 65535 <mss 1460>   (matches def s)", m);
        Assert.Contains("1 = [.] seq 1001 ack 5002 win 65535 <>", m);
        Assert.Contains("f = [F.] seq 1001 ack 5002", m);

        var thrown = Assert.ThrowsAny<XunitException>(() => MarbleFiles.AssertPasses(WrongScenario, "in-memory/wrong-passive-close"));
        Assert.Equal(m, thrown.Message);
    }

    [Fact]
    public void The_right_version_of_that_scenario_passes()
    {
        var right = WrongScenario
            .Replace("def f = [F.] seq 1001 ack 5002", "def a = [.] seq 1001 ack 5002\ndef f = [F.] seq 1001 ack 5002")
            .Replace("app:   L------", "app:   L------c-")
            .Replace("in:    -S-A-F-", "in:    -S-A-F---")
            .Replace("out:   -s---f-", "out:   -s---a-f-")
            .Replace("state: LR-E-K-", "state: LR-E-W-K-");
        var report = MarbleFiles.Check(right, "in-memory/right-passive-close");
        Assert.True(report.Passed, report.Message);
    }

    [Fact]
    public void Long_gaps_are_drawn_as_durations_and_missing_segments_show()
    {
        // TIME-WAIT is 240 s; the scenario claims it lasts 10 s.
        const string text = """
            local:  192.0.2.2:80
            remote: 192.0.2.1:40000
            frame:  1ms
            config: isn=1000
            def S = [S] seq 5000 win 65535 <mss 1460>
            def s = [S.] seq 1000 ack 5001
            def A = [.] seq 5001 ack 1001 win 65535
            def f = [F.] seq 1001 ack 5001
            def a = [.] seq 5001 ack 1002 win 65535
            def F = [F.] seq 5001 ack 1002 win 65535
            def k = [.] seq 1002 ack 5002
            app:   L---c-----
            in:    -S-A--a-F-
            out:   -s--f---k-
            state: LR-E1-2-T 10s |
            end:   240009ms
            """;
        var report = MarbleFiles.Check(text, "in-memory/short-time-wait");
        output.WriteLine(report.Message);
        Assert.False(report.Passed);
        Assert.Contains("state at 10008ms (frame 10008): expected |, got no change", report.Message);
        Assert.Contains("state at 240008ms (frame 240008): expected no change, got |", report.Message);
        Assert.Contains("expected state: LR-E1-2-T 10s | 230s -", report.Message);
        Assert.Contains("  actual state: LR-E1-2-T 10s - 230s |", report.Message);
    }

    [Fact]
    public void Durations_measure_from_the_start_of_the_token_before()
    {
        var lane = MarbleParser.ParseLane("x", [("a 240s b- 1s c", 1), ("d(ef) 2s 3s g", 2)], Ms);
        var times = lane.Events.Select(e => (new string(e.Symbols.ToArray()), e.Time / Ms)).ToList();
        Assert.Equal(
            [("a", 0L), ("b", 240_000L), ("c", 241_001L), ("d", 241_002L), ("ef", 241_003L), ("g", 246_003L)],
            times);
        Assert.Equal(246_004L, lane.End / Ms);
    }

    [Theory]
    [InlineData("a 500us b", "whole number of frames")]
    [InlineData("a (b", "'(' without ')'")]
    public void Bad_lanes_are_reported_with_their_line(string text, string why)
    {
        var e = Assert.Throws<MarbleFormatException>(() => MarbleParser.ParseLane("in", [(text, 7)], Ms));
        Assert.Contains("line 7", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Unknown_symbols_and_keys_are_rejected()
    {
        var e = Assert.Throws<MarbleFormatException>(() => MarbleParser.Parse("def a = [.] seq 1\nout: -a-b\n", "t"));
        Assert.Contains("line 2: 'b' in the out lane: no 'def' for it", e.Message);
        e = Assert.Throws<MarbleFormatException>(() => MarbleParser.Parse("config: rto=1s bogus=3\n", "t"));
        Assert.Contains("unknown config key 'bogus'", e.Message);
        e = Assert.Throws<MarbleFormatException>(() => MarbleParser.Parse("def a = [.] seq 1 len 3 \"ab\"\n", "t"));
        Assert.Contains("len 3 but its string has 2 bytes", e.Message);
    }

    [Fact]
    public void Out_patterns_treat_unwritten_fields_as_wildcards_but_not_the_payload()
    {
        var ack = SegmentNotation.Parse('a', "[.] ack 5002", 1);
        var segment = new TcpSegment { Seq = new SeqNum(1002), Ack = new SeqNum(5002), Flags = TcpFlags.Ack, Window = 123 };
        segment.Options.Mss = 536;
        Assert.True(ack.Matches(segment));
        Assert.False(SegmentNotation.Parse('a', "[.] ack 5002 <>", 1).Matches(segment));
        Assert.True(SegmentNotation.Parse('a', "[.] ack 5002 <mss 536>", 1).Matches(segment));
        Assert.False(SegmentNotation.Parse('a', "[.] ack 5002 win 124", 1).Matches(segment));
        Assert.False(SegmentNotation.Parse('a', "[P.] ack 5002", 1).Matches(segment));

        segment.Payload = "hello"u8.ToArray();
        Assert.False(ack.Matches(segment));
        Assert.True(SegmentNotation.Parse('a', "[.] ack 5002 len 5", 1).Matches(segment));
        Assert.True(SegmentNotation.Parse('a', "[.] ack 5002 len *", 1).Matches(segment));
        Assert.True(SegmentNotation.Parse('a', "[.] ack 5002 \"hello\"", 1).Matches(segment));
        Assert.False(SegmentNotation.Parse('a', "[.] ack 5002 len 5 \"hellp\"", 1).Matches(segment));
    }

    [Fact]
    public void Formatted_segments_parse_back_to_a_pattern_that_matches_them()
    {
        var segment = new TcpSegment
        {
            Seq = new SeqNum(4_000_000_000), Ack = new SeqNum(7), Flags = TcpFlags.Syn | TcpFlags.Ack, Window = 512,
            Payload = "a\"b\\c\n"u8.ToArray(),
        };
        segment.Options.Mss = 1460;
        segment.Options.HasWindowScale = true;
        segment.Options.WindowScale = 7;
        segment.Options.SackPermitted = true;
        string text = SegmentNotation.Format(segment);
        Assert.Equal("[S.] seq 4000000000 ack 7 win 512 <mss 1460,sackOK,wscale 7> len 6 \"a\\\"b\\\\c\\n\"", text);
        var pattern = SegmentNotation.Parse('x', text, 1);
        Assert.True(pattern.Matches(segment));
        var built = pattern.Build(1, 2);
        Assert.Equal(segment.Payload.ToArray(), built.Payload.ToArray());
        Assert.True(SegmentNotation.SameOptions(segment.Options, built.Options));
    }
}
