using Reactive.Tcp.Stack;
using Reactive.Tcp.Wire;
using Xunit;
using Reactive.Tcp.Transport;

namespace Reactive.Tcp.Tests.Stack;

public class SynCookiesTests
{
    private static readonly ConnectionKey Key = new(IPv4Address.Parse("192.0.2.1"), 80, IPv4Address.Parse("203.0.113.7"), 40000);
    private static readonly long Period = SynCookies.Period.Ticks;

    [Fact]
    public void SipHash_2_4_matches_a_reference_value_for_a_24_byte_message()
    {
        // Key 00..0f, message 00..17 (as three little-endian words). The value comes from an
        // independent implementation that reproduces the paper's 15-byte vector a129ca6149be45e5.
        var hash = new SipHash(Enumerable.Range(0, 16).Select(i => (byte)i).ToArray());
        ulong Word(int first) => BitConverter.ToUInt64(Enumerable.Range(first, 8).Select(i => (byte)i).ToArray());
        Assert.Equal(0xb8ad50c6f649af94UL, hash.Hash(Word(0), Word(8), Word(16)));
    }

    [Theory]
    [InlineData(0, 536)]
    [InlineData(536, 536)]
    [InlineData(1300, 1220)]
    [InlineData(1440, 1440)]
    [InlineData(1460, 1460)]
    [InlineData(9000, 1460)]
    public void A_cookie_returns_the_largest_table_MSS_not_above_the_peers(int peerMss, int expected)
    {
        var cookies = new SynCookies(null);
        long now = 5 * Period + 123;
        uint cookie = cookies.Make(Key, new SeqNum(777), peerMss, now, out int used);
        Assert.Equal(expected, used);
        Assert.True(cookies.TryValidate(Key, new SeqNum(777), cookie, now + 1, out int mss));
        Assert.Equal(expected, mss);
    }

    [Fact]
    public void A_cookie_is_good_in_its_period_and_the_next_only()
    {
        var cookies = new SynCookies(null);
        long made = 40 * Period + Period / 2;
        uint cookie = cookies.Make(Key, new SeqNum(1), 1460, made, out _);
        Assert.True(cookies.TryValidate(Key, new SeqNum(1), cookie, made + Period, out _));
        Assert.False(cookies.TryValidate(Key, new SeqNum(1), cookie, made + 2 * Period, out _));
        Assert.False(cookies.TryValidate(Key, new SeqNum(1), cookie, made + 32 * Period, out _), "the 5-bit period wraps, but the tag is keyed with the full period");
        Assert.False(cookies.TryValidate(Key, new SeqNum(1), cookie, made - Period, out _), "a cookie from the future");
    }

    [Fact]
    public void A_cookie_is_bound_to_its_4_tuple_peer_ISN_and_secret()
    {
        var secret = Enumerable.Range(0, 16).Select(i => (byte)(i * 7)).ToArray();
        var cookies = new SynCookies(secret);
        long now = 3 * Period;
        uint cookie = cookies.Make(Key, new SeqNum(99), 1460, now, out _);
        Assert.True(new SynCookies(secret).TryValidate(Key, new SeqNum(99), cookie, now, out _));
        Assert.False(cookies.TryValidate(Key with { RemotePort = 40001 }, new SeqNum(99), cookie, now, out _));
        Assert.False(cookies.TryValidate(Key with { RemoteAddress = IPv4Address.Parse("203.0.113.8") }, new SeqNum(99), cookie, now, out _));
        Assert.False(cookies.TryValidate(Key, new SeqNum(100), cookie, now, out _));
        Assert.False(new SynCookies(null).TryValidate(Key, new SeqNum(99), cookie, now, out _));
    }

    [Fact]
    public void Guessed_cookies_almost_never_validate()
    {
        var cookies = new SynCookies(null);
        var rng = new Random(4987);
        long now = 7 * Period;
        int accepted = 0;
        const int Guesses = 1_000_000;
        for (int i = 0; i < Guesses; i++)
            if (cookies.TryValidate(Key, new SeqNum(5), (uint)rng.NextInt64(1L << 32), now, out _)) accepted++;
        // A guess needs the right period bits (2 of 32 values) and one of 4 offsets of a 27-bit tag:
        // 2/32 · 4/2^27 ≈ 1.9e-9 per guess, so 1e6 guesses expect 0.002 hits.
        Assert.True(accepted <= 1, $"{accepted} of {Guesses} random cookies validated");
    }
}
