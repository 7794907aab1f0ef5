using Reactive.Tcp.Diagnostics.Rendering;
using Reactive.Tcp.Tcp;
using Reactive.Tcp.Tests.Marbles;
using Xunit;

namespace Reactive.Tcp.Tests.Diagnostics;

/// <summary>
/// A capture made by tcpdump (Ethernet link type, as Linux's loopback has) of curl fetching a page
/// from python's http.server over 127.0.0.1, inside a throwaway network namespace:
/// <c>ip netns exec NS tcpdump -i lo -w kernel-lo.pcap tcp port 8081</c>. tcpdump -nn -r shows the
/// same relative numbers the assertions check (seq 1:79, seq 157:1409, ack 1410, ...).
/// </summary>
public sealed class KernelCaptureTests
{
    private const string Capture = "1MOyoQIABAAAAAAAAAAAAAAABAABAAAAQjQJa1FqCgBKAAAASgAAAAAAAAAAAAAAAAAAAAgARQAAPEflQABABvTUfwAAAX8AAAHgAh+RqpXX7gAAAACgAv/X/jAAAAIE/9cEAggKQPJfrgAAAAABAwMKQjQJa2BqCgBKAAAASgAAAAAAAAAAAAAAAAAAAAgARQAAPAAAQABABjy6fwAAAX8AAAEfkeACmTQ9jqqV1++gEv/L/jAAAAIE/9cEAggKFL0yw0DyX64BAwMKQjQJa25qCgBCAAAAQgAAAAAAAAAAAAAAAAAAAAgARQAANEfmQABABvTbfwAAAX8AAAHgAh+RqpXX75k0PY+AEABA/igAAAEBCApA8l+uFL0yw0I0CWvvawoAkAAAAJAAAAAAAAAAAAAAAAAAAAAIAEUAAIJH50AAQAb0jH8AAAF/AAAB4AIfkaqV1++ZND2PgBgAQP52AAABAQgKQPJfrhS9MsNHRVQgLyBIVFRQLzEuMQ0KSG9zdDogMTI3LjAuMC4xOjgwODENClVzZXItQWdlbnQ6IGN1cmwvNy44OC4xDQpBY2NlcHQ6ICovKg0KDQpCNAlr9msKAEIAAABCAAAAAAAAAAAAAAAAAAAACABFAAA0NnBAAEAGBlJ/AAABfwAAAR+R4AKZND2PqpXYPYAQAED+KAAAAQEIChS9MsNA8l+uQjQJayR+CgDeAAAA3gAAAAAAAAAAAAAAAAAAAAgARQAA0DZxQABABgW1fwAAAX8AAAEfkeACmTQ9j6qV2D2AGABA/sQAAAEBCAoUvTLIQPJfrkhUVFAvMS4wIDIwMCBPSw0KU2VydmVyOiBTaW1wbGVIVFRQLzAuNiBQeXRob24vMy4xMS43DQpEYXRlOiBGcmksIDI3IE5vdiAyMDI2IDA3OjQxOjU0IEdNVA0KQ29udGVudC10eXBlOiB0ZXh0L2h0bWw7IGNoYXJzZXQ9dXRmLTgNCkNvbnRlbnQtTGVuZ3RoOiAxMjUyDQoNCkI0CWtEfgoAQgAAAEIAAAAAAAAAAAAAAAAAAAAIAEUAADRH6EAAQAb02X8AAAF/AAAB4AIfkaqV2D2ZND4rgBAAQP4oAAABAQgKQPJfsxS9MshCNAlrWX4KACYFAAAmBQAAAAAAAAAAAAAAAAAACABFAAUYNnJAAEAGAWx/AAABfwAAAR+R4AKZND4rqpXYPYAYAEADDQAAAQEIChS9MshA8l+zPCFET0NUWVBFIEhUTUw+CjxodG1sIGxhbmc9ImVuIj4KPGhlYWQ+CjxtZXRhIGNoYXJzZXQ9InV0Zi04Ij4KPHRpdGxlPkRpcmVjdG9yeSBsaXN0aW5nIGZvciAvPC90aXRsZT4KPC9oZWFkPgo8Ym9keT4KPGgxPkRpcmVjdG9yeSBsaXN0aW5nIGZvciAvPC9oMT4KPGhyPgo8dWw+CjxsaT48YSBocmVmPSIuY2kvIj4uY2kvPC9hPjwvbGk+CjxsaT48YSBocmVmPSIuZ2l0LyI+LmdpdC88L2E+PC9saT4KPGxpPjxhIGhyZWY9Ii5naXRpZ25vcmUiPi5naXRpZ25vcmU8L2E+PC9saT4KPGxpPjxhIGhyZWY9ImJlbmNoLyI+YmVuY2gvPC9hPjwvbGk+CjxsaT48YSBocmVmPSJCZW5jaG1hcmtEb3ROZXQuQXJ0aWZhY3RzLyI+QmVuY2htYXJrRG90TmV0LkFydGlmYWN0cy88L2E+PC9saT4KPGxpPjxhIGhyZWY9IkJFTkNITUFSS1MubWQiPkJFTkNITUFSS1MubWQ8L2E+PC9saT4KPGxpPjxhIGhyZWY9IkNPTkZPUk1BTkNFLm1kIj5DT05GT1JNQU5DRS5tZDwvYT48L2xpPgo8bGk+PGEgaHJlZj0iRGlyZWN0b3J5LkJ1aWxkLnByb3BzIj5EaXJlY3RvcnkuQnVpbGQucHJvcHM8L2E+PC9saT4KPGxpPjxhIGhyZWY9IkRpcmVjdG9yeS5QYWNrYWdlcy5wcm9wcyI+RGlyZWN0b3J5LlBhY2thZ2VzLnByb3BzPC9hPjwvbGk+CjxsaT48YSBocmVmPSJmdXp6LyI+ZnV6ei88L2E+PC9saT4KPGxpPjxhIGhyZWY9Im1hcmJsZXMvIj5tYXJibGVzLzwvYT48L2xpPgo8bGk+PGEgaHJlZj0iUmVhY3RpdmUuVGNwLyI+UmVhY3RpdmUuVGNwLzwvYT48L2xpPgo8bGk+PGEgaHJlZj0iUmVhY3RpdmUuVGNwLkFzcE5ldENvcmUvIj5SZWFjdGl2ZS5UY3AuQXNwTmV0Q29yZS88L2E+PC9saT4KPGxpPjxhIGhyZWY9IlJlYWN0aXZlLlRjcC5MaW51eC8iPlJlYWN0aXZlLlRjcC5MaW51eC88L2E+PC9saT4KPGxpPjxhIGhyZWY9IlJlYWN0aXZlLlRjcC5UZXN0cy8iPlJlYWN0aXZlLlRjcC5UZXN0cy88L2E+PC9saT4KPGxpPjxhIGhyZWY9IlJFQURNRS5tZCI+UkVBRE1FLm1kPC9hPjwvbGk+CjxsaT48YSBocmVmPSJSeFRjcC5DbGkvIj5SeFRjcC5DbGkvPC9hPjwvbGk+CjxsaT48YSBocmVmPSJSeFRjcC5zbG4iPlJ4VGNwLnNsbjwvYT48L2xpPgo8bGk+PGEgaHJlZj0ic2FtcGxlcy8iPnNhbXBsZXMvPC9hPjwvbGk+CjxsaT48YSBocmVmPSJTRUNVUklUWS5tZCI+U0VDVVJJVFkubWQ8L2E+PC9saT4KPGxpPjxhIGhyZWY9IlRlc3RSZXN1bHRzLyI+VGVzdFJlc3VsdHMvPC9hPjwvbGk+CjwvdWw+Cjxocj4KPC9ib2R5Pgo8L2h0bWw+CkI0CWtdfgoAQgAAAEIAAAAAAAAAAAAAAAAAAAAIAEUAADRH6UAAQAb02H8AAAF/AAAB4AIfkaqV2D2ZNEMPgBAATP4oAAABAQgKQPJfsxS9MshCNAlrfn4KAEIAAABCAAAAAAAAAAAAAAAAAAAACABFAAA0NnNAAEAGBk9/AAABfwAAAR+R4AKZNEMPqpXYPYARAED+KAAAAQEIChS9MshA8l+zQjQJa55+CgBCAAAAQgAAAAAAAAAAAAAAAAAAAAgARQAANEfqQABABvTXfwAAAX8AAAHgAh+RqpXYPZk0QxCAEQBM/igAAAEBCApA8l+zFL0yyEI0CWvBfgoAQgAAAEIAAAAAAAAAAAAAAAAAAAAIAEUAADQ2dEAAQAYGTn8AAAF/AAABH5HgApk0QxCqldg+gBAAQP4oAAABAQgKFL0yyEDyX7M=";

    private static TraceConnection Connection() =>
        Assert.Single(TcpTrace.Read(new MemoryStream(Convert.FromBase64String(Capture))).Connections);

    [Fact]
    public void A_tcpdump_capture_of_the_kernel_reads_as_one_connection_with_tcpdumps_relative_numbers()
    {
        var c = Connection();
        Assert.Equal("127.0.0.1:8081", c.Local.ToString());
        Assert.Equal(12, c.Segments.Count);
        var data = c.Segments.Where(s => s.Length > 0).Select(s => (s.FromLocal, c.Relative(s).Seq.Value, s.Length)).ToList();
        Assert.Equal([(false, 1u, 78), (true, 1u, 156), (true, 157u, 1252)], data);
        Assert.Equal(1410u, c.Relative(c.Segments[10]).Ack.Value); // the client's FIN acknowledges the server's
        Assert.StartsWith("GET / HTTP/1.1", System.Text.Encoding.ASCII.GetString(c.Segments[3].Segment.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void States_inferred_from_the_kernel_capture_follow_an_active_close_by_the_server()
    {
        var c = Connection();
        Assert.Equal([TcpState.Listen, TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.TimeWait],
            c.States.Where(s => s.Local).Select(s => s.State));
        Assert.Equal([TcpState.Closed, TcpState.SynSent, TcpState.Established, TcpState.CloseWait, TcpState.LastAck, TcpState.Closed],
            c.States.Where(s => !s.Local).Select(s => s.State));
    }

    [Fact]
    public void Its_marble_diagram_parses_and_keeps_every_segment()
    {
        var scenario = MarbleParser.Parse(MarbleDiagram.Render(Connection()), "kernel capture");
        Assert.Equal(100 * TimeSpan.TicksPerMicrosecond, scenario.Frame);
        Assert.Equal(12, scenario.In.Events.Sum(e => e.Symbols.Count) + scenario.Out.Events.Sum(e => e.Symbols.Count));
    }
}
