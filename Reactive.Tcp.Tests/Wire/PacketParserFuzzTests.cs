using Reactive.Tcp.Wire;
using Xunit;
using static Reactive.Tcp.Tests.Wire.WireTestHelpers;

namespace Reactive.Tcp.Tests.Wire;

public class PacketParserFuzzTests
{
    private const int Iterations = 100_000;

    [Fact]
    public void Never_throws_on_random_or_mutated_frames()
    {
        var random = new Random(0xF022);
        var seeds = new List<byte[]>();
        for (int i = 0; i < 64; i++)
        {
            seeds.Add(PacketBuilder.BuildTcp(ClientAddress, ServerAddress, RandomSegment(random, maxPayload: 64)));
            seeds.Add(PacketBuilder.BuildUdp(ClientAddress, ServerAddress, 1, 2, new byte[random.Next(0, 40)]));
            seeds.Add(PacketBuilder.BuildIcmpEchoRequest(ClientAddress, ServerAddress, 1, 2, new byte[random.Next(0, 40)]));
        }

        var outcomes = new Dictionary<DropReason, int>();
        for (int i = 0; i < Iterations; i++)
        {
            byte[] frame = (i % 4) switch
            {
                0 => RandomBytes(random),
                _ => Mutate(random, seeds[random.Next(seeds.Count)], fixChecksums: i % 4 == 3),
            };
            // Also parse from a non-zero offset in a larger array, as pooled buffers are.
            var memory = random.Next(2) == 0 ? frame.AsMemory() : new byte[3].Concat(frame).ToArray().AsMemory(3);

            DropReason reason;
            InboundPacket packet;
            try
            {
                reason = PacketParser.Parse(memory, out packet);
            }
            catch (Exception e)
            {
                Assert.Fail($"Parse threw on iteration {i}, frame {Convert.ToHexString(frame)}: {e}");
                throw;
            }

            outcomes[reason] = outcomes.GetValueOrDefault(reason) + 1;
            if (reason == DropReason.None)
            {
                // Whatever was accepted must be self-consistent.
                Assert.Equal(packet.Ip.TotalLength, packet.Packet.Length);
                Assert.InRange(packet.Ip.TotalLength, packet.Ip.HeaderLength, memory.Length);
                Assert.NotEqual(PacketKind.None, packet.Kind);
                if (packet.Kind == PacketKind.Tcp)
                    Assert.InRange(packet.Tcp.Payload.Length, 0, packet.Ip.PayloadLength - TcpCodec.MinHeaderLength);
                _ = packet.ToString();
            }
        }

        // The mutations must reach deep into the parser, not just bounce off the IP header.
        foreach (var expected in new[] { DropReason.None, DropReason.NotIPv4, DropReason.Truncated, DropReason.BadIpChecksum,
                     DropReason.BadTotalLength, DropReason.BadTcpChecksum, DropReason.BadOption, DropReason.BadDataOffset, DropReason.BadUdp })
        {
            Assert.True(outcomes.GetValueOrDefault(expected) > 0, $"fuzzing never produced {expected}: {string.Join(", ", outcomes)}");
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var frame = new byte[random.Next(0, 80)];
        random.NextBytes(frame);
        if (frame.Length > 0 && random.Next(2) == 0) frame[0] = (byte)(0x40 | (frame[0] & 0x0F)); // mostly look like IPv4
        return frame;
    }

    private static byte[] Mutate(Random random, byte[] seed, bool fixChecksums)
    {
        var frame = (byte[])seed.Clone();
        int flips = random.Next(1, 5);
        for (int f = 0; f < flips && frame.Length > 0; f++)
            frame[random.Next(frame.Length)] = (byte)random.Next(256);

        switch (random.Next(4))
        {
            case 0: frame = frame[..random.Next(frame.Length + 1)]; break;                         // truncate
            case 1: frame = frame.Concat(new byte[random.Next(1, 16)]).ToArray(); break;          // extend
        }

        if (fixChecksums && frame.Length >= 20)
        {
            // Repair the checksums so the later checks (data offset, options, lengths) get exercised.
            frame[0] = (byte)(0x40 | (frame[0] & 0x0F));
            FixIpChecksum(frame);
            int ihl = (frame[0] & 0x0F) * 4;
            int total = (frame[2] << 8) | frame[3];
            if (ihl >= 20 && total >= ihl && total <= frame.Length)
            {
                var transport = frame[ihl..total];
                var src = IPv4Address.Read(frame.AsSpan(12));
                var dst = IPv4Address.Read(frame.AsSpan(16));
                if (frame[9] == 6 && transport.Length >= 20) FixTransportChecksum(transport, 6, 16, src, dst);
                else if (frame[9] == 17 && transport.Length >= 8) FixTransportChecksum(transport, 17, 6, src, dst);
                transport.CopyTo(frame, ihl);
            }
        }
        return frame;
    }

    [Fact]
    public void Random_option_bytes_never_throw_and_only_fail_as_BadOption()
    {
        var random = new Random(0x0F7);
        for (int i = 0; i < 20_000; i++)
        {
            var options = new byte[random.Next(1, 11) * 4];
            random.NextBytes(options);
            // Bias towards the known kinds so their length checks are hit often.
            for (int k = 0; k < options.Length; k += random.Next(1, 5))
                if (random.Next(2) == 0) options[k] = (byte)new[] { 0, 1, 2, 3, 4, 5, 8 }[random.Next(7)];

            byte[] tcp = RawTcp(options);
            var reason = TcpCodec.TryParse(tcp, ClientAddress, ServerAddress, out var segment);
            Assert.True(reason is DropReason.None or DropReason.BadOption, $"{reason} for options {Convert.ToHexString(options)}");
            if (reason == DropReason.None) Assert.InRange(segment.Options.SackCount, 0, 4);
        }
    }
}
