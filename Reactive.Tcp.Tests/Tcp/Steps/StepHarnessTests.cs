using Reactive.Tcp.Tcp;
using Xunit;
using Xunit.Sdk;
using static Reactive.Tcp.Tests.Tcp.Steps.StepHarness;

namespace Reactive.Tcp.Tests.Tcp.Steps;

/// <summary>The harness itself: a wrong expectation fails, and says what was expected and what was sent.</summary>
public class StepHarnessTests
{
    [Fact]
    public void A_wrong_reply_fails_with_expected_and_actual_segments_and_the_steps_so_far()
    {
        var h = Established().At(2);
        var failure = Assert.Throws<XunitException>(() => h.Send("hello").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 4"));
        Assert.Contains("expected 1:\n    [P.] seq 1001 ack 5001 win 65535 <> len 4\n", failure.Message);
        Assert.Contains("actual 1:\n    [P.] seq 1001 ack 5001 win 65535 <> len 5 \"hello\"\n", failure.Message);
        Assert.Contains("in [S] seq 5000 win 65535 <mss 1460>", failure.Message);
        Assert.Contains("ESTABLISHED", failure.Message);
    }

    [Fact]
    public void A_reply_where_none_was_expected_fails()
    {
        var failure = Assert.Throws<XunitException>(() => Established().At(2).Segment("[S] seq 5100 win 65535").SendsNothing());
        Assert.Contains("actual 1:\n    [.] seq 1001 ack 5001 win 65535 <>", failure.Message);
    }

    [Fact]
    public void A_reply_that_differs_only_in_its_options_fails()
    {
        Assert.Throws<XunitException>(() => Established(syn: TimestampSyn).At(2).Send("x").Sends("[P.] seq 1001 ack 5001 win 65535 <> len 1 \"x\""));
    }

    [Fact]
    public void A_missing_reply_fails()
    {
        Assert.Throws<XunitException>(() => Established().At(2).Segment("[.] seq 5001 ack 1001 win 65535").Sends("[.] seq 1001 ack 5001 win 65535 <>"));
    }

    [Fact]
    public void An_expected_segment_that_leaves_a_field_out_is_refused()
    {
        var h = Established().At(2).Send("hello");
        var refusal = Assert.Throws<ArgumentException>(() => h.Sends("[P.] seq 1001 ack 5001 len 5"));
        Assert.Contains("win", refusal.Message);
        Assert.Contains("<options>", refusal.Message);
    }

    [Fact]
    public void A_wrong_state_fails_with_both_states_named()
    {
        var failure = Assert.Throws<XunitException>(() => Established().Is(TcpState.CloseWait));
        Assert.Contains("expected state CLOSE-WAIT, actual ESTABLISHED", failure.Message);
    }
}
