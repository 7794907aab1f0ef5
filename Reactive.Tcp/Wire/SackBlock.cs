namespace Reactive.Tcp.Wire;

/// <summary>One SACK block (RFC 2018): the peer holds bytes <c>[Left, Right)</c>.</summary>
/// <param name="Left">First sequence number of the block.</param>
/// <param name="Right">Sequence number just past the block.</param>
public readonly record struct SackBlock(SeqNum Left, SeqNum Right);

/// <summary>Up to four SACK blocks held inline so a parsed segment needs no heap allocation.</summary>
[System.Runtime.CompilerServices.InlineArray(4)]
public struct SackBlockArray
{
    private SackBlock _element0;
}
