using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace Reactive.Tcp.Tests.Integration;

/// <summary>
/// Every file-based app in <c>samples/</c> is built and run with <c>dotnet run file.cs</c> (each is a
/// self-contained scenario that exits by itself), and every one has a LINQPad twin with the same code.
/// </summary>
[Collection(DotnetCliCollection.Name)]
public partial class SampleTests
{
    /// <summary>What each sample must print; a sample missing here fails the test rather than being skipped.</summary>
    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["echo-server.cs"] = ["echo: hello #1 over RxTcp", "echo: hello #5 over RxTcp"],
        ["http-over-rxtcp.cs"] = ["hello from Kestrel over RxTcp", "you are 192.0.2.2:", "200 received 1000000 bytes"],
        ["marble-test.cs"] = ["client: ----------(E1)", "PASS"],
        ["connection-table.cs"] = ["ended abnormally from ESTABLISHED", "Remove 192.0.2.1:80", "rxtcp.bytes.delivered 100000"],
    };

    private static string SamplesDirectory => Path.Combine(ToolRunner.RepositoryRoot, "samples");

    [Fact]
    public async Task Every_file_based_sample_builds_runs_and_prints_what_it_promises()
    {
        var samples = Directory.GetFiles(SamplesDirectory, "*.cs").Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(Expected.Keys.Order(), samples);

        var failures = new List<string>();
        // One at a time: the samples share project references, and concurrent builds of one project collide.
        foreach (var sample in samples)
        {
            var (exit, output) = await ToolRunner.RunAsync(ToolRunner.Dotnet, ["run", "--file", Path.Combine("samples", sample!)], TimeSpan.FromMinutes(3));
            var missing = Expected[sample!].Where(text => !output.Contains(text, StringComparison.Ordinal)).ToArray();
            if (exit != 0 || missing.Length > 0)
                failures.Add($"{sample}: exit {exit}, missing [{string.Join(", ", missing)}]\n{output}");
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void Every_sample_has_a_LINQPad_query_with_the_same_code()
    {
        foreach (var cs in Directory.GetFiles(SamplesDirectory, "*.cs"))
        {
            var linq = Path.ChangeExtension(cs, ".linq");
            Assert.True(File.Exists(linq), $"{Path.GetFileName(linq)} is missing");
            var text = File.ReadAllText(linq);
            int end = text.IndexOf("</Query>", StringComparison.Ordinal) + "</Query>".Length;
            var header = XElement.Parse(text[..end]);
            var linqBody = text[end..].Trim();

            var source = File.ReadAllLines(cs);
            var usings = source.Select(l => UsingDirective().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value);
            var csBody = string.Join('\n', source.Where(l => !l.StartsWith("#!") && !l.StartsWith("#:") && !UsingDirective().IsMatch(l))).Trim();
            Assert.Equal(csBody, linqBody.ReplaceLineEndings("\n"));

            var namespaces = header.Elements("Namespace").Select(e => e.Value).ToHashSet();
            Assert.Subset(namespaces, usings.ToHashSet());
            foreach (var project in source.Select(l => ProjectDirective().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value))
                Assert.Contains(header.Elements("Reference"), r => ((string?)r.Attribute("Relative") ?? "").EndsWith($"{project}.dll", StringComparison.Ordinal));
            foreach (var package in source.Where(l => l.StartsWith("#:package ")).Select(l => l["#:package ".Length..].Split('@')[0].Trim()))
                Assert.Contains(header.Elements("NuGetReference"), r => r.Value == package);
            if (source.Any(l => l.StartsWith("#:sdk Microsoft.NET.Sdk.Web")))
                Assert.Equal("true", header.Element("IncludeAspNet")?.Value);
        }
    }

    [GeneratedRegex(@"^using ([\w.]+);$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^#:project .*/([\w.]+)\.csproj$")]
    private static partial Regex ProjectDirective();
}

/// <summary>
/// Tests that drive the dotnet CLI run one at a time (their builds share obj/ folders) and alone,
/// after the parallel tests, so their compilers do not starve the real-time tests of CPU.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DotnetCliCollection
{
    public const string Name = "dotnet CLI";
}
