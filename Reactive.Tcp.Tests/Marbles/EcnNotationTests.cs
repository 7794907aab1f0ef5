using Reactive.Tcp.Tcp;
using Reactive.Tcp.Wire;
using Xunit;

namespace Reactive.Tcp.Tests.Marbles;

/// <summary>The marble notation's IP ECN codepoint words (<c>notect ect0 ect1 ce</c>) and the <c>ecn=</c> config key.</summary>
public class EcnNotationTests
{
    [Fact]
    public void An_unwritten_codepoint_is_sent_not_ect_and_matches_any()
    {
        var pattern = SegmentNotation.Parse('d', "[P.] seq 1 ack 2 \"x\"", 1);
        Assert.Equal(IpEcn.NotEct, pattern.Build(1, 2).Ecn);
        var sent = pattern.Build(1, 2);
        foreach (var ecn in Enum.GetValues<IpEcn>())
        {
            sent.Ecn = ecn;
            Assert.True(pattern.Matches(sent));
        }
    }

    [Theory]
    [InlineData("notect", IpEcn.NotEct)]
    [InlineData("ect0", IpEcn.Ect0)]
    [InlineData("ect1", IpEcn.Ect1)]
    [InlineData("ce", IpEcn.Ce)]
    public void A_written_codepoint_is_sent_and_matched_exactly(string word, IpEcn ecn)
    {
        var pattern = SegmentNotation.Parse('d', $"[WP.] seq 1 ack 2 \"x\" {word}", 1);
        var built = pattern.Build(1, 2);
        Assert.Equal(ecn, built.Ecn);
        Assert.Equal(TcpFlags.Cwr | TcpFlags.Psh | TcpFlags.Ack, built.Flags);
        Assert.True(pattern.Matches(built));
        foreach (var other in Enum.GetValues<IpEcn>().Where(e => e != ecn))
        {
            built.Ecn = other;
            Assert.False(pattern.Matches(built));
        }
    }

    [Fact]
    public void Formatted_marked_segments_parse_back_with_their_codepoint()
    {
        var segment = new TcpSegment { Seq = new SeqNum(1001), Ack = new SeqNum(5001), Flags = TcpFlags.Ece | TcpFlags.Ack, Window = 9, Ecn = IpEcn.Ce };
        string text = SegmentNotation.Format(segment);
        Assert.Equal("[E.] seq 1001 ack 5001 win 9 <> ce", text);
        Assert.True(SegmentNotation.Parse('x', text, 1).Matches(segment));
        Assert.Equal("[.] seq 1 ack 0 win 0 <>", SegmentNotation.Format(new TcpSegment { Seq = new SeqNum(1), Flags = TcpFlags.Ack }));
    }

    [Fact]
    public void Ecn_config_key_maps_onto_the_mode_and_rejects_other_words()
    {
        const string body = "def S = [S] seq 5000\nin: -S-\n";
        Assert.Equal(EcnMode.Accept, MarbleParser.Parse(body, "t").Config.Ecn);
        Assert.Equal(EcnMode.On, MarbleParser.Parse("config: ecn=on\n" + body, "t").Config.Ecn);
        Assert.Equal(EcnMode.Off, MarbleParser.Parse("config: ecn=off\n" + body, "t").Config.Ecn);
        var error = Assert.Throws<MarbleFormatException>(() => MarbleParser.Parse("config: ecn=maybe\n" + body, "t"));
        Assert.Contains("ecn=off|accept|on", error.Message);
    }
}
