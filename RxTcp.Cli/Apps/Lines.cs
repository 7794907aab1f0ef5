using System.Reactive.Linq;
using System.Text;

namespace RxTcp.Cli.Apps;

/// <summary>Turns a TCP byte stream into text lines.</summary>
public static class Lines
{
    /// <summary>Longest line kept whole; longer ones are passed on in pieces of this size, so one client cannot make the server buffer without bound.</summary>
    public const int MaxLineBytes = 8 * 1024;

    /// <summary>
    /// The UTF-8 lines in <paramref name="bytes"/>, without their <c>\n</c> (or <c>\r\n</c>). Chunk
    /// boundaries may fall anywhere, even inside a character. A last line without a newline is
    /// emitted when the stream completes.
    /// </summary>
    public static IObservable<string> ToLines(this IObservable<ReadOnlyMemory<byte>> bytes) => Observable.Create<string>(observer =>
    {
        var pending = new List<byte>();
        return bytes.Subscribe(
            chunk =>
            {
                var span = chunk.Span;
                while (!span.IsEmpty)
                {
                    int newline = span.IndexOf((byte)'\n');
                    int take = newline < 0 ? span.Length : newline;
                    take = Math.Min(take, MaxLineBytes - pending.Count);
                    pending.AddRange(span[..take]);
                    span = span[take..];
                    bool ended = !span.IsEmpty && span[0] == (byte)'\n';
                    if (ended) span = span[1..];
                    if (ended || pending.Count >= MaxLineBytes) observer.OnNext(Take(pending));
                }
            },
            observer.OnError,
            () =>
            {
                if (pending.Count > 0) observer.OnNext(Take(pending));
                observer.OnCompleted();
            });
    });

    private static string Take(List<byte> pending)
    {
        int length = pending.Count;
        if (length > 0 && pending[length - 1] == (byte)'\r') length--;
        var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending)[..length]);
        pending.Clear();
        return text;
    }
}
