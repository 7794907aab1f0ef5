using System.Text;

namespace RxTcp.Cli.Apps;

/// <summary>
/// The head of an HTTP/1.x message: its start line (request line or status line) and its header
/// fields, in order. Field names compare without regard to case.
/// </summary>
public sealed class HttpHead
{
    /// <summary>Creates a head from its parts.</summary>
    public HttpHead(string startLine, IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        StartLine = startLine ?? throw new ArgumentNullException(nameof(startLine));
        Fields = fields ?? throw new ArgumentNullException(nameof(fields));
    }

    /// <summary>The first line: <c>GET / HTTP/1.1</c> or <c>HTTP/1.1 200 OK</c>.</summary>
    public string StartLine { get; }

    /// <summary>The header fields, names as sent, values trimmed.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    /// <summary>The value of the first field called <paramref name="name"/>, or null.</summary>
    public string? this[string name] =>
        Fields.FirstOrDefault(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>True when a comma-separated field (such as <c>Connection</c>) lists <paramref name="token"/>.</summary>
    public bool HasToken(string name, string token) =>
        Fields.Where(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            .SelectMany(f => f.Value.Split(',', StringSplitOptions.TrimEntries))
            .Any(t => t.Equals(token, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The <c>Content-Length</c>, null when absent. Several equal values count as one (RFC 9112 §6.3);
    /// anything else is a framing error.
    /// </summary>
    /// <exception cref="HttpFormatException">The field is not one non-negative number.</exception>
    public long? ContentLength
    {
        get
        {
            long? length = null;
            foreach (var entry in Fields.Where(f => f.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            {
                foreach (var part in entry.Value.Split(',', StringSplitOptions.TrimEntries))
                {
                    if (part.Length == 0 || part.Length > 18 || !part.All(char.IsAsciiDigit) || (length is { } l && l != long.Parse(part)))
                        throw new HttpFormatException(400, $"bad Content-Length '{entry.Value}'");
                    length = long.Parse(part);
                }
            }
            return length;
        }
    }

    /// <summary>
    /// Finds the end of a head at the start of <paramref name="buffer"/> (an empty line, CRLF or
    /// bare LF) and parses it. Empty lines before the start line are skipped.
    /// </summary>
    /// <param name="buffer">Bytes received so far.</param>
    /// <param name="head">The head, when complete.</param>
    /// <param name="consumed">Bytes the head (and its empty line) took.</param>
    /// <returns>False when the head is not complete yet.</returns>
    /// <exception cref="HttpFormatException">A header line is malformed.</exception>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out HttpHead? head, out int consumed)
    {
        head = null;
        consumed = 0;
        int start = 0;
        while (start < buffer.Length && (buffer[start] == (byte)'\r' || buffer[start] == (byte)'\n')) start++;
        for (int i = start; i < buffer.Length; i++)
        {
            if (buffer[i] != (byte)'\n') continue;
            int next = i + 1;
            if (next < buffer.Length && buffer[next] == (byte)'\r') next++;
            if (next >= buffer.Length) return false;
            if (buffer[next] != (byte)'\n') continue;
            head = Parse(buffer[start..i]);
            consumed = next + 1;
            return true;
        }
        return false;
    }

    private static HttpHead Parse(ReadOnlySpan<byte> text)
    {
        // Field values are octets; Latin-1 maps each one to a char and back without loss.
        var lines = Encoding.Latin1.GetString(text).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var fields = new List<KeyValuePair<string, string>>(lines.Length - 1);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            // No obsolete line folding and no whitespace before the colon (RFC 9112 §5.1, §5.2).
            if (colon <= 0 || line[0] is ' ' or '\t' || char.IsWhiteSpace(line[colon - 1]))
                throw new HttpFormatException(400, $"bad header line '{Shorten(line)}'");
            fields.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }
        return new HttpHead(lines[0], fields);
    }

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}

/// <summary>An HTTP message could not be understood; <see cref="Status"/> is the status code to answer with.</summary>
public sealed class HttpFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HttpFormatException(int status, string message) : base(message) => Status = status;

    /// <summary>The HTTP status that describes the problem (400, 431, 501, 505…).</summary>
    public int Status { get; }
}
