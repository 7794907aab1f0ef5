namespace Reactive.Tcp.Tests.Conformance;

/// <summary>
/// Why Linux diverges from a scenario (or a note on a pass), checked against the kernel's
/// behaviour seen in the runner's report. Each entry is written by hand; the table generator
/// fails when a divergence has none.
/// </summary>
internal static class ConformanceNotes
{
    private static readonly Dictionary<string, string> Notes = new(StringComparer.Ordinal)
    {
    };

    public static string? Explain(string scenario) => Notes.GetValueOrDefault(scenario);
}
