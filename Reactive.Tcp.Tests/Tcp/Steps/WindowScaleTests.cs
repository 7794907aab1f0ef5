using Reactive.Tcp.Tcp;
using Xunit;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>RFC 7323 §2: window scale negotiation in the SYNs, and its use on every later window field.</summary>
public class WindowScaleTests
{
    private static readonly TcpConfig NoSackNoTs = DefaultConfig with { Sack = false, Timestamps = false };

    [Theory]
    [InlineData(65535, 0)]
    [InlineData(65536, 1)]
    [InlineData(262_144, 3)]
    [InlineData(1 << 20, 5)]
    [InlineData(1 << 30, 14)]
    public void Syn_offers_the_smallest_shift_that_lets_the_window_cover_the_receive_buffer(int buffer, int shift)
    {
        Closed(NoSackNoTs with { ReceiveBufferSize = buffer }).Connect()
            .Sends($"[S] seq 1000 win {Math.Min(buffer, 65535)} <mss 1460,wscale {shift}>");
    }

    [Fact]
    public void Syn_ack_offers_window_scale_when_the_syn_did()
    {
        Listening().Segment("[S] seq 5000 win 65535 <mss 1460,wscale 7>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,wscale 3>");
    }

    [Fact]
    public void Syn_ack_offers_no_window_scale_when_the_syn_had_none()
    {
        Listening().Segment(PlainSyn).Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460>");
    }

    [Fact]
    public void Window_scaling_off_ignores_the_peers_offer()
    {
        var h = Established(DefaultConfig with { WindowScaling = false }, syn: "[S] seq 5000 win 65535 <mss 1460,wscale 7>");
        Assert.Equal(0, h.SndWndShift);
        Assert.Equal(0, h.RcvWndShift);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 1");
        Assert.Equal(1, h.SndWnd);
    }

    [Fact]
    public void Window_in_the_peers_syn_is_never_scaled()
    {
        var h = Listening().Segment("[S] seq 5000 win 1000 <mss 1460,wscale 4>");
        Assert.Equal(1000, h.SndWnd);
    }

    [Fact]
    public void Window_in_the_peers_syn_ack_is_never_scaled()
    {
        var h = SynSent(NoSackNoTs).At(1).Segment("[S.] seq 5000 ack 1001 win 1000 <mss 1460,wscale 4>");
        Assert.Equal(1000, h.SndWnd);
        Assert.Equal(4, h.SndWndShift);
    }

    [Fact]
    public void Windows_after_the_handshake_are_scaled_by_the_peers_shift()
    {
        var h = SynReceived(syn: "[S] seq 5000 win 65535 <mss 1460,wscale 4>");
        h.At(1).Segment("[.] seq 5001 ack 1001 win 100");
        Assert.Equal(1600, h.SndWnd);
    }

    [Fact]
    public void Scaled_send_window_bounds_what_is_sent()
    {
        var h = Established(DefaultConfig with { NoDelay = true }, syn: "[S] seq 5000 win 250 <mss 1460,wscale 2>");
        h.At(2).Send(3000).Sends("[.] seq 1001 ack 5001 win 32768 <> len 1000");
    }

    [Fact]
    public void Our_window_after_the_handshake_is_shifted_by_the_shift_we_offered()
    {
        Established(syn: "[S] seq 5000 win 65535 <mss 1460,wscale 7>").At(2)
            .Segment("[P.] seq 5001 ack 1001 win 512 \"hi\"")
            .Sends("[.] seq 1001 ack 5003 win 32768 <>");
    }

    [Fact]
    public void Our_scaled_window_is_rounded_down_to_a_multiple_of_the_scale()
    {
        Established(syn: "[S] seq 5000 win 65535 <mss 1460,wscale 7>", credit: 0).At(2)
            .Segment("[P.] seq 5001 ack 1001 win 512 \"hello\"")
            .Sends("[.] seq 1001 ack 5006 win 32767 <>");
    }

    [Fact]
    public void Our_syn_ack_window_is_unscaled_and_at_most_65535()
    {
        Listening(DefaultConfig with { ReceiveBufferSize = 1 << 20 }).Segment("[S] seq 5000 win 65535 <mss 1460,wscale 7>")
            .Sends("[S.] seq 1000 ack 5001 win 65535 <mss 1460,wscale 5>");
    }

    [Fact]
    public void Without_the_peers_window_scale_neither_side_scales_after_an_active_open()
    {
        var h = SynSent(NoSackNoTs);
        h.At(1).Segment("[S.] seq 5000 ack 1001 win 100 <mss 1460>").Sends("[.] seq 1001 ack 5001 win 65535 <>");
        Assert.Equal(0, h.SndWndShift);
        Assert.Equal(0, h.RcvWndShift);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 100");
        Assert.Equal(100, h.SndWnd);
    }

    [Fact]
    public void With_the_peers_window_scale_both_sides_scale_after_an_active_open()
    {
        var h = SynSent(NoSackNoTs);
        h.At(1).Segment("[S.] seq 5000 ack 1001 win 100 <mss 1460,wscale 2>").Sends("[.] seq 1001 ack 5001 win 32768 <>");
        Assert.Equal(2, h.SndWndShift);
        Assert.Equal(3, h.RcvWndShift);
    }

    [Fact]
    public void Peer_shift_above_14_is_taken_as_14()
    {
        var h = Established(syn: "[S] seq 5000 win 65535 <mss 1460,wscale 15>");
        Assert.Equal(14, h.SndWndShift);
        h.At(2).Segment("[.] seq 5001 ack 1001 win 1");
        Assert.Equal(16384, h.SndWnd);
    }

    [Fact]
    public void Data_up_to_the_scaled_right_edge_is_accepted()
    {
        // RCV.WND is 262144 bytes (32768 << 3): a segment whose first byte is the window's last is acceptable.
        var h = Established(syn: "[S] seq 5000 win 65535 <mss 1460,wscale 7>");
        h.At(2).Segment("[P.] seq 5001 ack 1001 win 512 \"x\"").Sends("[.] seq 1001 ack 5002 win 32768 <>");
        h.At(3).Segment("[.] seq 267145 ack 1001 win 512 len 1").Sends("[.] seq 1001 ack 5002 win 32768 <>").Dropped(false);
        h.At(4).Segment("[.] seq 267146 ack 1001 win 512 len 1").Sends("[.] seq 1001 ack 5002 win 32768 <>").Dropped();
    }
}
