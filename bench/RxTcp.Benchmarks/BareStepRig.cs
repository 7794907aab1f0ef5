using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;

namespace RxTcp.Benchmarks;

/// <summary>
/// The same bulk transfer as <see cref="PipelineRig"/>, minus Rx, hosts, wire and scheduler: two
/// <see cref="Tcb"/>s exchange packets through two plain queues, each packet built with
/// <see cref="PacketBuilder.BuildTcp"/> and parsed with <see cref="PacketParser.Parse"/> exactly as
/// the stack does, the receiver holding unlimited read credit (so the step copies each delivery).
/// What the pipeline costs beyond this is the price of its hosting.
/// </summary>
public sealed class BareStepRig
{
    private static readonly ConnectionKey ClientKey = new(PipelineRig.ClientAddress, 49152, PipelineRig.ServerAddress, 80);
    private static readonly ConnectionKey ServerKey = new(PipelineRig.ServerAddress, 80, PipelineRig.ClientAddress, 49152);

    private readonly Tcb _client;
    private readonly Tcb _server;
    private readonly TcpEffects _fx = new();
    private readonly Queue<byte[]> _toServer = new();
    private readonly Queue<byte[]> _toClient = new();
    private readonly byte[] _data;
    private long _now;
    private long _received;
    private ReadOnlyMemory<byte> _pending;

    public BareStepRig(int maxBlock)
    {
        _data = new byte[maxBlock];
        new Random(1).NextBytes(_data);
        _client = new Tcb(ClientKey, TcpConfig.Default, new SeqNum(1000));
        _server = new Tcb(ServerKey, TcpConfig.Default, new SeqNum(900_000), TcpState.Listen);
        Step(_client, TcpEvent.Of(TcpEventKind.Connect));
        Run();
        Step(_server, TcpEvent.Credit(long.MaxValue));
        if (_client.State != TcpState.Established || _server.State != TcpState.Established)
            throw new InvalidOperationException($"Bare handshake ended in {_client.State}/{_server.State}.");
    }

    public long Received => _received;

    public long Transfer(int bytes)
    {
        long target = _received + bytes;
        _pending = _data.AsMemory(0, bytes);
        Pump();
        Run();

        // A tail shorter than a segment can wait for the receiver's delayed ACK (Nagle): the
        // stack's timers would fire it, so fire them here too, at their deadlines.
        for (int i = 0; i < 16 && _received < target; i++)
        {
            _now = Math.Max(_now, Math.Min(_client.NextDeadline, _server.NextDeadline));
            Step(_server, TcpEvent.Of(TcpEventKind.Timer));
            Step(_client, TcpEvent.Of(TcpEventKind.Timer));
            Pump();
            Run();
        }
        if (_received != target) throw new InvalidOperationException($"Bare transfer stalled at {_received} of {target}.");
        return _received;
    }

    private void Pump()
    {
        if (_pending.IsEmpty || _client.SendBufferFree == 0) return;
        Step(_client, TcpEvent.SendData(_pending));
        _pending = _pending[_fx.Accepted..];
    }

    private void Run()
    {
        while (_toServer.Count > 0 || _toClient.Count > 0)
        {
            _now += 10;
            if (_toServer.TryDequeue(out var frame)) Arrive(_server, frame);
            if (_toClient.TryDequeue(out frame))
            {
                Arrive(_client, frame);
                Pump();
            }
        }
    }

    private void Arrive(Tcb tcb, byte[] frame)
    {
        if (PacketParser.Parse(frame, out var packet) != DropReason.None) throw new InvalidOperationException("Bad frame.");
        Step(tcb, TcpEvent.FromSegment(packet.Tcp));
    }

    private void Step(Tcb tcb, in TcpEvent ev)
    {
        TcpStep.Handle(tcb, ev, _now, _fx);
        var key = tcb.Key;
        var queue = ReferenceEquals(tcb, _client) ? _toServer : _toClient;
        for (int i = 0; i < _fx.Transmit.Count; i++) queue.Enqueue(PacketBuilder.BuildTcp(key.LocalAddress, key.RemoteAddress, _fx.Transmit[i]));
        for (int i = 0; i < _fx.Deliver.Count; i++) _received += _fx.Deliver[i].Length;
    }
}
