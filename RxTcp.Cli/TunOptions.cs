using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Reactive.Tcp.Wire;

namespace RxTcp.Cli;

/// <summary>The options <c>serve</c> and <c>fetch</c> share: which device, which addresses, capture, namespace.</summary>
internal sealed class TunOptions
{
    public Option<string> Device { get; } = new("--tun")
    {
        Description = "Name of the TUN device to create (at most 15 characters).",
        HelpName = "name",
        DefaultValueFactory = _ => "rxt0",
        CustomParser = ParseDevice,
    };

    public Option<IPv4Address> StackAddress { get; } = new("--ip")
    {
        Description = "The stack's IPv4 address (the kernel reaches the stack here), e.g. 192.0.2.2.",
        HelpName = "addr",
        Required = true,
        CustomParser = r => ParseAddress(r, "--ip"),
    };

    public Option<IPv4Address> KernelAddress { get; } = new("--peer")
    {
        Description = "The kernel's IPv4 address on the device (the point-to-point peer), e.g. 192.0.2.1.",
        HelpName = "addr",
        Required = true,
        CustomParser = r => ParseAddress(r, "--peer"),
    };

    public Option<int> Mtu { get; } = new("--mtu")
    {
        Description = "MTU of the device and the stack, 576 to 65535 (MSS = MTU - 40).",
        HelpName = "bytes",
        DefaultValueFactory = _ => 1500,
        CustomParser = r => ParseInt(r, "--mtu", 576, 65535),
    };

    public Option<string?> Pcap { get; } = new("--pcap")
    {
        Description = "Record every packet the stack reads and writes to this file (pcap, LINKTYPE_RAW).",
        HelpName = "file",
    };

    public Option<string?> Namespace { get; } = new("--netns")
    {
        Description = "Enter this network namespace (made with 'ip netns add') before creating the device. "
            + "Without it, the device is created in the current namespace: run under 'ip netns exec'.",
        HelpName = "name",
    };

    public Option<bool> Offload { get; } = new("--offload")
    {
        Description = "Open the device with the virtio header and checksum/TSO4 offload: the kernel may hand over TCP segments of up to 64 KiB.",
    };

    public Option<int> TxQueueLength { get; } = new("--txqueuelen")
    {
        Description = "Length of the device's queue towards the stack, in packets (ip link ... txqueuelen): how large a burst from the kernel may wait for the reader before the kernel drops packets. The kernel's default is 500.",
        HelpName = "packets",
        DefaultValueFactory = _ => TunSettings.DefaultTxQueueLength,
        CustomParser = r => ParseInt(r, "--txqueuelen", 1, 1_000_000),
    };

    public Option<bool> InlineWrites { get; } = new("--inline-writes")
    {
        Description = "Write each packet to the device on the thread that sends it (the stack's), instead of queueing it for the link's writer thread, which writes what has gathered in batches.",
    };

    public Option<bool> AllowInitialNamespace { get; } = new("--allow-initial-netns")
    {
        Description = "Allow creating the device in the machine's initial network namespace. "
            + "Unsafe: packets could then be routed off the machine. Prefer a namespace.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(StackAddress);
        command.Options.Add(KernelAddress);
        command.Options.Add(Mtu);
        command.Options.Add(Pcap);
        command.Options.Add(Namespace);
        command.Options.Add(Offload);
        command.Options.Add(TxQueueLength);
        command.Options.Add(InlineWrites);
        command.Options.Add(AllowInitialNamespace);
        command.Validators.Add(result =>
        {
            // Compared as text: GetValue would throw for an option whose own parser already failed.
            if (Token(result.GetResult(StackAddress)) is { } s && Token(result.GetResult(KernelAddress)) is { } k
                && IPv4Address.TryParse(s, out var stack) && IPv4Address.TryParse(k, out var kernel) && stack == kernel)
                result.AddError("--ip and --peer must be different addresses.");
        });
    }

    public TunSettings Read(ParseResult parse) => new()
    {
        Device = parse.GetValue(Device)!,
        StackAddress = parse.GetValue(StackAddress),
        KernelAddress = parse.GetValue(KernelAddress),
        Mtu = parse.GetValue(Mtu),
        PcapPath = parse.GetValue(Pcap),
        Namespace = parse.GetValue(Namespace),
        Offload = parse.GetValue(Offload),
        TxQueueLength = parse.GetValue(TxQueueLength),
        WriterThread = !parse.GetValue(InlineWrites),
        AllowInitialNamespace = parse.GetValue(AllowInitialNamespace),
    };

    /// <summary>The last token given for an option, or null.</summary>
    public static string? Token(OptionResult? result) => result is { Tokens.Count: > 0 } ? result.Tokens[^1].Value : null;

    private static string ParseDevice(ArgumentResult result)
    {
        var name = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (name.Length is 0 or > 15 || name is "." or ".." || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || c > 127))
            result.AddError($"--tun must be 1 to 15 ASCII characters without '/', ':' or spaces (got '{name}').");
        return name;
    }

    public static IPv4Address ParseAddress(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (IPv4Address.TryParse(text, out var address) && text.Count(c => c == '.') == 3)
        {
            uint v = address.Value;
            if (v != 0 && v != uint.MaxValue && (v >> 24) != 127 && (v >> 28) is not (0xE or 0xF)) return address;
            result.AddError($"{name} must be a unicast address outside 127.0.0.0/8 (got '{text}').");
            return default;
        }
        result.AddError($"{name} must be an IPv4 address such as 192.0.2.2 (got '{text}').");
        return default;
    }

    public static int ParseInt(ArgumentResult result, string name, int min, int max)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max) return value;
        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be a whole number from {min} to {max} (got '{text}')."));
        return min;
    }
}
