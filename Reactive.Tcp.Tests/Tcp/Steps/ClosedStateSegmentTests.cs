using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>
/// RFC 9293 §3.10.7.1, SEGMENT ARRIVES in CLOSED: everything is discarded; a RST is dropped, anything
/// else answered by a RST that the sender will find acceptable.
/// </summary>
public class ClosedStateSegmentTests
{
    [Fact]
    public void Rst_to_a_closed_port_is_dropped_without_answer()
    {
        Closed().Segment("[R] seq 7000 win 0").SendsNothing().Dropped().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Rst_ack_to_a_closed_port_is_dropped_without_answer()
    {
        Closed().Segment("[R.] seq 7000 ack 300 win 0").SendsNothing().Dropped();
    }

    [Fact]
    public void Ack_to_a_closed_port_gets_a_rst_at_its_ack_number()
    {
        Closed().Segment("[.] seq 7000 ack 4242 win 65535").Sends("[R] seq 4242 win 0 <>").Dropped().IsClosedWith(TcpError.None);
    }

    [Fact]
    public void Data_with_ack_to_a_closed_port_gets_a_rst_at_its_ack_number()
    {
        Closed().Segment("[P.] seq 7000 ack 9000 win 65535 \"hi\"").Sends("[R] seq 9000 win 0 <>");
    }

    [Fact]
    public void Syn_ack_to_a_closed_port_gets_a_rst_at_its_ack_number()
    {
        Closed().Segment("[S.] seq 7000 ack 1234 win 65535 <mss 1460>").Sends("[R] seq 1234 win 0 <>");
    }

    [Fact]
    public void Syn_to_a_closed_port_gets_a_rst_ack_for_the_syn()
    {
        Closed().Segment("[S] seq 7000 win 65535 <mss 1460>").Sends("[R.] seq 0 ack 7001 win 0 <>");
    }

    [Fact]
    public void Data_without_ack_to_a_closed_port_gets_a_rst_ack_covering_the_data()
    {
        Closed().Segment("[P] seq 7000 win 65535 \"hello\"").Sends("[R.] seq 0 ack 7005 win 0 <>");
    }

    [Fact]
    public void Fin_without_ack_to_a_closed_port_gets_a_rst_ack_covering_the_fin()
    {
        Closed().Segment("[F] seq 7000 win 65535").Sends("[R.] seq 0 ack 7001 win 0 <>");
    }

    [Fact]
    public void Syn_fin_with_data_to_a_closed_port_is_acknowledged_for_its_whole_sequence_length()
    {
        Closed().Segment("[SF] seq 7000 win 65535 len 10").Sends("[R.] seq 0 ack 7012 win 0 <>");
    }

    [Fact]
    public void Rst_answer_wraps_the_sequence_space()
    {
        Closed().Segment("[P] seq 4294967294 win 65535 \"hello\"").Sends("[R.] seq 0 ack 3 win 0 <>");
    }
}
