using Reactive.Tcp.Diagnostics.Rendering;
using Reactive.Tcp.Stack;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Marbles;

/// <summary>Reads the text of a <c>.marble</c> file (syntax: <c>marbles/README.md</c>).</summary>
internal static partial class MarbleParser
{
    /// <summary>State letters of the <c>state:</c> lane.</summary>
    public static readonly IReadOnlyDictionary<char, string> StateLetters = new Dictionary<char, string>
    {
        ['C'] = "CLOSED (no connection)",
        ['L'] = "LISTEN (no connection, port listening)",
        ['S'] = "SYN-SENT",
        ['R'] = "SYN-RECEIVED",
        ['E'] = "ESTABLISHED",
        ['1'] = "FIN-WAIT-1",
        ['2'] = "FIN-WAIT-2",
        ['W'] = "CLOSE-WAIT",
        ['G'] = "CLOSING",
        ['K'] = "LAST-ACK",
        ['T'] = "TIME-WAIT",
        ['|'] = "gone (the stack holds no connection)",
    };

    public static char Letter(TcpState state) => MarbleDiagram.Letter(state, existed: false);

    private static readonly Dictionary<char, AppActionKind> BuiltinActions = new()
    {
        ['L'] = AppActionKind.Listen,
        ['l'] = AppActionKind.StopListening,
        ['C'] = AppActionKind.Connect,
        ['c'] = AppActionKind.Close,
        ['x'] = AppActionKind.Abort,
        ['r'] = AppActionKind.Read,
        ['p'] = AppActionKind.Pause,
    };

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(us|ms|s|min)$")]
    private static partial Regex DurationRegex();

    public static MarbleScenario Parse(string text, string name)
    {
        var scenario = new MarbleScenario { Name = name };
        var title = new List<string>();
        bool body = false;
        var lanes = new Dictionary<string, List<(string Text, int Line)>>();
        var config = new List<(string Key, string Value, int Line)>();

        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string raw = lines[i];
            string trimmed = raw.Trim();
            if (trimmed.Length == 0) continue;
            if (trimmed.StartsWith('#'))
            {
                if (!body) title.Add(trimmed.TrimStart('#').Trim());
                continue;
            }
            body = true;
            string line = StripComment(raw).Trim();
            if (line.Length == 0) continue;

            if (line.StartsWith("def ", StringComparison.Ordinal) || line.StartsWith("act ", StringComparison.Ordinal))
            {
                int eq = line.IndexOf('=');
                if (eq < 0) throw Error(lineNo, $"'{line[..3]}' needs 'NAME = ...'");
                string symbol = line[4..eq].Trim();
                if (symbol.Length != 1 || !char.IsAsciiLetterOrDigit(symbol[0]))
                    throw Error(lineNo, $"a {line[..3]} name is one letter or digit, got '{symbol}'");
                char c = symbol[0];
                string rest = line[(eq + 1)..].Trim();
                if (line.StartsWith("def", StringComparison.Ordinal))
                {
                    var pattern = rest.StartsWith("icmp ", StringComparison.Ordinal) ? ParseIcmp(c, rest, lineNo) : SegmentNotation.Parse(c, rest, lineNo);
                    if (!scenario.Segments.TryAdd(c, pattern))
                        throw Error(lineNo, $"segment '{c}' is defined twice");
                }
                else
                {
                    if (BuiltinActions.ContainsKey(c)) throw Error(lineNo, $"'{c}' is a built-in app action ({BuiltinActions[c]}); pick another name");
                    if (!scenario.Actions.TryAdd(c, ParseAct(rest, lineNo))) throw Error(lineNo, $"action '{c}' is defined twice");
                }
                continue;
            }

            int colon = line.IndexOf(':');
            if (colon < 0) throw Error(lineNo, $"expected 'key: value', 'def X = ...' or 'act X = ...', got \"{line}\"");
            string key = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "local":
                    (scenario.LocalAddress, scenario.LocalPort) = ParseEndpoint(value, lineNo);
                    break;
                case "remote":
                    (scenario.RemoteAddress, scenario.RemotePort) = ParseEndpoint(value, lineNo);
                    break;
                case "frame":
                    scenario.Frame = ParseDuration(value, lineNo);
                    if (scenario.Frame < TimeSpan.TicksPerMillisecond / 10) throw Error(lineNo, "frame must be at least 100us");
                    break;
                case "config":
                    foreach (var pair in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        int eq = pair.IndexOf('=');
                        if (eq <= 0) throw Error(lineNo, $"config entries are key=value, got '{pair}'");
                        config.Add((pair[..eq], pair[(eq + 1)..], lineNo));
                    }
                    break;
                case "reader":
                    scenario.AutoReader = value switch
                    {
                        "auto" => true,
                        "manual" => false,
                        _ => throw Error(lineNo, "reader: auto|manual"),
                    };
                    break;
                case "end":
                    scenario.End = ParseDuration(value, lineNo);
                    if (scenario.End % scenario.Frame != 0) throw Error(lineNo, "end must be a whole number of frames (write 'frame:' first)");
                    break;
                case "in":
                case "app":
                case "out":
                case "state":
                    if (!lanes.TryGetValue(key, out var parts)) lanes[key] = parts = new();
                    parts.Add((value, lineNo));
                    break;
                case "received":
                    scenario.Received = value.StartsWith("len", StringComparison.Ordinal)
                        ? new ReceivedExpectation(null, ParseInt(value[3..], lineNo))
                        : new ReceivedExpectation(SegmentNotation.ParseQuoted(value, lineNo), 0);
                    break;
                case "error":
                    scenario.Error = value switch
                    {
                        "none" => TcpError.None,
                        "refused" => TcpError.Refused,
                        "reset" => TcpError.Reset,
                        "timedout" => TcpError.TimedOut,
                        "aborted" => TcpError.Aborted,
                        _ => throw Error(lineNo, "error: none|refused|reset|timedout|aborted"),
                    };
                    break;
                case "eof":
                    scenario.Eof = value switch
                    {
                        "yes" => true,
                        "no" => false,
                        _ => throw Error(lineNo, "eof: yes|no"),
                    };
                    break;
                case "drops":
                    scenario.Drops = new();
                    if (value == "none") break;
                    foreach (var pair in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        int eq = pair.IndexOf('=');
                        if (eq <= 0 || !Enum.TryParse<DropReason>(pair[..eq], out var reason) || reason == DropReason.None)
                            throw Error(lineNo, $"drops: Reason=N ... with a DropReason name, or 'none'; got '{pair}'");
                        scenario.Drops[reason] = ParseInt(pair[(eq + 1)..], lineNo);
                    }
                    break;
                case "retransmissions":
                    scenario.Retransmissions = ParseInt(value, lineNo);
                    break;
                default:
                    throw Error(lineNo, $"unknown key '{key}'");
            }
        }

        scenario.Title = string.Join(" ", title);
        ApplyConfig(scenario, config);

        foreach (var (laneName, parts) in lanes)
        {
            var lane = ParseLane(laneName, parts, scenario.Frame);
            foreach (var e in lane.Events)
                foreach (char c in e.Symbols)
                    ValidateSymbol(scenario, laneName, c, e.Line);
            switch (laneName)
            {
                case "in": scenario.In = lane; break;
                case "app": scenario.App = lane; break;
                case "out": scenario.Out = lane; break;
                case "state": scenario.State = lane; scenario.HasState = true; break;
            }
        }
        if (scenario.State.Events.Count > 0 && scenario.State.Events[0].Time != 0)
            throw Error(scenario.State.Events[0].Line, "the state lane starts at frame 0 with the state at the end of that frame (e.g. 'C' or 'L')");
        return scenario;
    }

    private static void ValidateSymbol(MarbleScenario s, string lane, char c, int line)
    {
        bool ok = lane switch
        {
            "in" or "out" => s.Segments.ContainsKey(c),
            "app" => BuiltinActions.ContainsKey(c) || s.Actions.ContainsKey(c),
            "state" => StateLetters.ContainsKey(c),
            _ => false,
        };
        if (ok) return;
        string hint = lane switch
        {
            "in" or "out" => "no 'def' for it",
            "app" => "not a built-in action (L l C c x r p) and no 'act' for it",
            _ => "state letters are " + string.Concat(StateLetters.Keys),
        };
        throw Error(line, $"'{c}' in the {lane} lane: {hint}");
    }

    /// <summary>
    /// Lays a lane out in time. Every <c>-</c>, symbol or <c>(group)</c> takes one frame; a
    /// duration <c>D</c> (a word of its own, e.g. <c>240s</c>) says the next token starts D after
    /// the start of the token before it (or D after time 0 at the start of the lane). Spaces only
    /// separate words. A lane written on several lines continues where the last line stopped.
    /// </summary>
    public static MarbleLane ParseLane(string name, IReadOnlyList<(string Text, int Line)> parts, long frame)
    {
        var events = new List<LaneEvent>();
        long cursor = 0, previousStart = 0;
        foreach (var (text, line) in parts)
        {
            foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                if (DurationRegex().IsMatch(word))
                {
                    long d = ParseDuration(word, line);
                    if (d < frame || d % frame != 0)
                        throw Error(line, $"duration {word} in the {name} lane must be a whole number of frames ({FormatDuration(frame)} each)");
                    cursor = previousStart + d;
                    previousStart = cursor;
                    continue;
                }
                for (int i = 0; i < word.Length; i++)
                {
                    char c = word[i];
                    previousStart = cursor;
                    if (c == '-') { cursor += frame; continue; }
                    if (c == '(')
                    {
                        int close = word.IndexOf(')', i);
                        if (close < 0) throw Error(line, $"'(' without ')' in the {name} lane");
                        var group = word[(i + 1)..close].ToCharArray();
                        if (group.Length == 0) throw Error(line, $"empty group '()' in the {name} lane");
                        if (group.Any(g => g is '-' or '(')) throw Error(line, $"a group holds symbols only, got '({new string(group)})'");
                        events.Add(new LaneEvent(cursor, group, line));
                        i = close;
                    }
                    else if (c == ')') throw Error(line, $"')' without '(' in the {name} lane");
                    else events.Add(new LaneEvent(cursor, [c], line));
                    cursor += frame;
                }
            }
        }
        return new MarbleLane(name, events, cursor);
    }

    /// <summary>
    /// <c>icmp code N [mtu M] quoting &lt;segment&gt;</c>: an ICMP Destination Unreachable for the
    /// <c>in:</c> lane, quoting the segment as sent by the stack (see marbles/README.md).
    /// </summary>
    private static SegmentPattern ParseIcmp(char name, string text, int line)
    {
        int quoting = text.IndexOf(" quoting ", StringComparison.Ordinal);
        if (quoting < 0) throw Error(line, "icmp needs 'icmp code N [mtu M] quoting <segment>'");
        var words = text[..quoting].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        byte? code = null;
        ushort mtu = 0;
        for (int i = 1; i < words.Length; i += 2)
        {
            if (i + 1 >= words.Length) throw Error(line, $"icmp: '{words[i]}' needs a value");
            switch (words[i])
            {
                case "code": code = (byte)ParseInt(words[i + 1], line); break;
                case "mtu": mtu = (ushort)ParseInt(words[i + 1], line); break;
                default: throw Error(line, $"icmp: unknown field '{words[i]}' (use code, mtu)");
            }
        }
        if (code is null) throw Error(line, "icmp needs a 'code'");
        var quoted = SegmentNotation.Parse(name, text[(quoting + " quoting ".Length)..], line);
        return new SegmentPattern
        {
            Name = quoted.Name, Text = text, Flags = quoted.Flags, Seq = quoted.Seq, Ack = quoted.Ack, Window = quoted.Window,
            Options = quoted.Options, Length = quoted.Length, Payload = quoted.Payload, Line = line,
            IcmpCode = code, IcmpMtu = mtu,
        };
    }

    private static AppAction ParseAct(string text, int line)
    {
        if (!text.StartsWith("send ", StringComparison.Ordinal)) throw Error(line, "act X = send \"text\" | send N");
        string arg = text[5..].Trim();
        if (arg.StartsWith('"'))
        {
            var bytes = SegmentNotation.ParseQuoted(arg, line);
            return new AppAction(AppActionKind.Send, bytes, text);
        }
        return new AppAction(AppActionKind.Send, SegmentNotation.AppPattern(ParseInt(arg, line)), text);
    }

    private static void ApplyConfig(MarbleScenario s, List<(string Key, string Value, int Line)> entries)
    {
        var c = TcpConfig.Default;
        foreach (var (key, value, line) in entries.Where(e => e.Key == "preset"))
        {
            c = value switch
            {
                "default" => TcpConfig.Default,
                "minimart" => TcpConfig.Minimart,
                _ => throw Error(line, "preset=default|minimart"),
            };
        }
        foreach (var (key, value, line) in entries)
        {
            c = key switch
            {
                "preset" => c,
                "isn" => SetIsn(s, value, line, c),
                "mss" => c with { MssOverride = ParseInt(value, line) },
                "mtu" => c with { Mtu = ParseInt(value, line) },
                "peermss" => c with { DefaultPeerMss = ParseInt(value, line) },
                "rcvbuf" => c with { ReceiveBufferSize = ParseInt(value, line) },
                "sndbuf" => c with { SendBufferSize = ParseInt(value, line) },
                "wscale" => c with { WindowScaling = ParseSwitch(value, line) },
                "rto" => c with { InitialRto = TimeSpan.FromTicks(ParseDuration(value, line)) },
                "minrto" => c with { MinRto = TimeSpan.FromTicks(ParseDuration(value, line)) },
                "maxrto" => c with { MaxRto = TimeSpan.FromTicks(ParseDuration(value, line)) },
                "fixedrto" => c with { FixedRto = value == "off" ? null : TimeSpan.FromTicks(ParseDuration(value, line)) },
                "retries" => c with { MaxRetransmissions = ParseInt(value, line) },
                "synretries" => c with { MaxSynRetransmissions = ParseInt(value, line) },
                "msl" => c with { Msl = TimeSpan.FromTicks(ParseDuration(value, line)) },
                "dupack" => c with { DupAckThreshold = ParseInt(value, line) },
                "cwnd" => c with { InitialCongestionWindowSegments = ParseInt(value, line) },
                "delack" => c with { DelayedAck = value is "0" or "off" ? TimeSpan.Zero : TimeSpan.FromTicks(ParseDuration(value, line)) },
                "nodelay" => c with { NoDelay = ParseSwitch(value, line) },
                "sack" => c with { Sack = ParseSwitch(value, line) },
                "ts" => c with { Timestamps = ParseSwitch(value, line) },
                "keepalive" => c with { KeepAliveIdle = value == "off" ? null : TimeSpan.FromTicks(ParseDuration(value, line)) },
                "kainterval" => c with { KeepAliveInterval = TimeSpan.FromTicks(ParseDuration(value, line)) },
                "kaprobes" => c with { KeepAliveProbes = ParseInt(value, line) },
                "backlog" => SetLimits(s, s.Limits with { ListenBacklog = ParseInt(value, line) }, c),
                "syncookies" => SetLimits(s, s.Limits with { SynCookies = ParseSwitch(value, line) }, c),
                "challengeacks" => SetLimits(s, s.Limits with { ChallengeAcksPerSecond = ParseInt(value, line) }, c),
                "maxconn" => SetLimits(s, s.Limits with { MaxConnections = ParseInt(value, line) }, c),
                "ecn" => c with { Ecn = ParseEcnMode(value, line) },
                _ => throw Error(line, $"unknown config key '{key}' (preset isn mss mtu peermss rcvbuf sndbuf wscale rto minrto maxrto fixedrto retries synretries msl dupack cwnd delack nodelay sack ts keepalive kainterval kaprobes backlog syncookies challengeacks maxconn ecn)"),
            };
        }
        uint isn = s.Isn;
        s.Config = c with { IsnGenerator = (_, _) => isn };
    }

    private static TcpConfig SetLimits(MarbleScenario s, StackLimits limits, TcpConfig c)
    {
        s.Limits = limits;
        return c;
    }

    private static EcnMode ParseEcnMode(string value, int line) => value switch
    {
        "off" => EcnMode.Off,
        "accept" => EcnMode.Accept,
        "on" => EcnMode.On,
        _ => throw Error(line, "ecn=off|accept|on"),
    };

    private static TcpConfig SetIsn(MarbleScenario s, string value, int line, TcpConfig c)
    {
        if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint isn)) throw Error(line, "isn=N (0..4294967295)");
        s.Isn = isn;
        return c;
    }

    private static bool ParseSwitch(string value, int line) => value switch
    {
        "on" => true,
        "off" => false,
        _ => throw Error(line, $"expected on|off, got '{value}'"),
    };

    private static int ParseInt(string value, int line) =>
        int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw Error(line, $"expected a whole number, got '{value.Trim()}'");

    public static long ParseDuration(string value, int line)
    {
        var m = DurationRegex().Match(value.Trim());
        if (!m.Success) throw Error(line, $"expected a duration like 1ms, 2s, 1.5s, 500us or 4min; got '{value.Trim()}'");
        decimal n = decimal.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        decimal ticks = m.Groups[2].Value switch
        {
            "us" => n * 10,
            "ms" => n * TimeSpan.TicksPerMillisecond,
            "s" => n * TimeSpan.TicksPerSecond,
            _ => n * TimeSpan.TicksPerMinute,
        };
        if (ticks != decimal.Truncate(ticks)) throw Error(line, $"'{value.Trim()}' is finer than 100ns");
        return (long)ticks;
    }

    /// <summary>A duration in the unit that writes it shortest and exactly (240s, 999ms, 1500us).</summary>
    public static string FormatDuration(long ticks)
    {
        if (ticks % TimeSpan.TicksPerSecond == 0) return (ticks / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture) + "s";
        if (ticks % TimeSpan.TicksPerMillisecond == 0) return (ticks / TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture) + "ms";
        if (ticks % 10 == 0) return (ticks / 10).ToString(CultureInfo.InvariantCulture) + "us";
        return (ticks / 10m).ToString(CultureInfo.InvariantCulture) + "us";
    }

    private static (IPv4Address, ushort) ParseEndpoint(string value, int line)
    {
        int colon = value.LastIndexOf(':');
        if (colon < 0 || !IPv4Address.TryParse(value[..colon], out var address)
            || !ushort.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) || port == 0)
            throw Error(line, $"expected an endpoint like 192.0.2.2:80, got '{value}'");
        return (address, port);
    }

    /// <summary>Drops a <c>#</c> comment that is not inside a quoted string.</summary>
    private static string StripComment(string line)
    {
        bool quoted = false;
        var sb = new StringBuilder();
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && quoted && i + 1 < line.Length) { sb.Append(c).Append(line[++i]); continue; }
            if (c == '"') quoted = !quoted;
            if (c == '#' && !quoted) break;
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static MarbleFormatException Error(int line, string message) => new($"line {line}: {message}");
}
