namespace Reactive.Tcp.Interfaces;

/// <summary>What an <see cref="ArpAction{TPacket}"/> asks the interface to do.</summary>
public enum ArpActionKind : byte
{
    /// <summary>Send <see cref="ArpAction{TPacket}.Arp"/> in an Ethernet frame to <see cref="ArpAction{TPacket}.Destination"/> (broadcast or one station).</summary>
    SendArp = 1,
    /// <summary>Send <see cref="ArpAction{TPacket}.Packet"/> in an Ethernet frame to <see cref="ArpAction{TPacket}.Destination"/>, the next hop's resolved address.</summary>
    Transmit,
    /// <summary>
    /// <see cref="ArpAction{TPacket}.Packet"/> will never be sent, for <see cref="ArpAction{TPacket}.Reason"/>: release it,
    /// count it, and for <see cref="Wire.DropReason.NeighbourUnreachable"/> tell its sender (ICMP host unreachable).
    /// </summary>
    Drop,
    /// <summary>The entry for <see cref="ArpAction{TPacket}.NextHop"/> went from <see cref="ArpAction{TPacket}.From"/> to <see cref="ArpAction{TPacket}.To"/>: for logs, metrics and marble lanes; nothing to carry out.</summary>
    StateChanged,
}
