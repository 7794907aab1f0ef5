using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text;
using Reactive.Tcp.Api;

namespace RxTcp.Cli.Apps;

/// <summary>
/// minimart's chat room (port 6667). Each newcomer is named <c>userN</c> and greeted with
/// "Welcome, userN.", then told who is already there ("userK arrived."); the others hear
/// "userN arrived.". Every line a user sends goes to all the others as "userN says: …". When a
/// user's connection closes or resets, the rest hear "userN departed.".
/// </summary>
/// <remarks>
/// Each user has an outbox (a subject) whose messages are sent one after another, each once the
/// previous one is in the send buffer. Joining, leaving and broadcasting take one lock, so every
/// user sees arrivals, lines and departures in the same order.
/// </remarks>
public sealed class ChatApp
{
    /// <summary>The port minimart's chat demo uses.</summary>
    public const ushort DefaultPort = 6667;

    private readonly object _gate = new();
    private readonly Dictionary<string, ISubject<string>> _outboxes = new();
    private readonly List<string> _present = new();
    private int _next;

    /// <summary>The users in the room now, in order of arrival.</summary>
    public IReadOnlyList<string> Present
    {
        get { lock (_gate) return _present.ToArray(); }
    }

    /// <summary>Lets one connection into the room; it leaves when the connection's receive side ends.</summary>
    public void Serve(TcpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var outbox = new Subject<string>();
        outbox
            .Select(text => connection.Send(Encoding.UTF8.GetBytes(text)))
            .Concat()
            // A send fails only once the connection is closing or gone: nothing left to reset.
            .Subscribe(_ => { }, _ => { }, connection.Close);

        string name;
        lock (_gate)
        {
            name = $"user{++_next}";
            outbox.OnNext($"Welcome, {name}.\n");
            foreach (var other in _present) outbox.OnNext($"{other} arrived.\n");
            Broadcast(name, $"{name} arrived.\n");
            _present.Add(name);
            _outboxes[name] = outbox;
        }

        connection.Received.ToLines().Subscribe(
            line =>
            {
                lock (_gate) Broadcast(name, $"{name} says: {line}\n");
            },
            _ => Leave(name, outbox),
            () => Leave(name, outbox));
    }

    private void Leave(string name, Subject<string> outbox)
    {
        lock (_gate)
        {
            if (!_outboxes.Remove(name)) return;
            _present.Remove(name);
            Broadcast(name, $"{name} departed.\n");
        }
        // What is queued for the leaver still goes out; then its side closes (FIN).
        outbox.OnCompleted();
    }

    /// <summary>Queues <paramref name="text"/> for everyone but <paramref name="from"/>; the caller holds the lock.</summary>
    private void Broadcast(string from, string text)
    {
        foreach (var (name, outbox) in _outboxes)
            if (name != from) outbox.OnNext(text);
    }
}
