using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RxTcp.Cli;

/// <summary>One <c>rxtcp bench</c> mode's outcome: RxTcp's figure, the kernel's from the same run, and their ratio.</summary>
internal sealed class BenchResult
{
    public required string Mode { get; init; }

    /// <summary>Unit of <see cref="RxTcp"/> and <see cref="Kernel"/>.</summary>
    public required string Unit { get; init; }

    public required double RxTcp { get; init; }

    public required double Kernel { get; init; }

    /// <summary>Whether a larger figure is better (throughput) or worse (latency, memory).</summary>
    public required bool HigherIsBetter { get; init; }

    /// <summary>RxTcp over kernel.</summary>
    public double Ratio => Kernel == 0 ? double.NaN : RxTcp / Kernel;

    /// <summary>Further figures, printed and put in the JSON under <c>details</c>.</summary>
    public List<(string Name, double Value, string Unit)> Details { get; } = [];

    /// <summary>What the reader needs to know to read the figures (what was measured, what was capped).</summary>
    public List<string> Notes { get; } = [];

    public void Write(TextWriter output, bool json)
    {
        if (json) WriteJson(output);
        else WriteText(output);
    }

    private void WriteText(TextWriter o)
    {
        var better = HigherIsBetter ? "higher is better" : "lower is better";
        o.WriteLine(Invariant($"rxtcp bench {Mode} ({better})"));
        o.WriteLine(Invariant($"  RxTcp   {Format(RxTcp),14} {Unit}"));
        o.WriteLine(Invariant($"  kernel  {Format(Kernel),14} {Unit}"));
        o.WriteLine(Invariant($"  ratio   {Ratio,14:F3}  (RxTcp / kernel)"));
        foreach (var (name, value, unit) in Details) o.WriteLine(Invariant($"  {name}: {Format(value)} {unit}"));
        foreach (var note in Notes) o.WriteLine("  note: " + note);
    }

    private void WriteJson(TextWriter o)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("mode", Mode);
            w.WriteString("unit", Unit);
            WriteNumber(w, "rxtcp", RxTcp);
            WriteNumber(w, "kernel", Kernel);
            WriteNumber(w, "ratio", Ratio);
            w.WriteBoolean("higherIsBetter", HigherIsBetter);
            w.WriteStartObject("details");
            foreach (var (name, value, unit) in Details)
            {
                w.WriteStartObject(name);
                WriteNumber(w, "value", value);
                w.WriteString("unit", unit);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartArray("notes");
            foreach (var note in Notes) w.WriteStringValue(note);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        o.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    // JSON has no NaN or infinity: a figure that could not be measured is null.
    private static void WriteNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, 6));
        else w.WriteNull(name);
    }

    private static string Format(double value) => value switch
    {
        double.NaN => "n/a",
        >= 1000 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F1", CultureInfo.InvariantCulture),
        _ => value.ToString("F3", CultureInfo.InvariantCulture),
    };

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
