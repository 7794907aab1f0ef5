using System.IO.Compression;
using System.Xml.Linq;
using Xunit;

namespace Reactive.Tcp.Tests.Integration;

/// <summary>
/// <c>dotnet pack RxTcp.sln</c> into a temporary folder, then the packages are opened and checked:
/// README, XML docs, dependencies, and the CLI as a .NET tool named rxtcp.
/// </summary>
[Collection(DotnetCliCollection.Name)]
public class PackTests
{
    [Fact]
    public async Task Pack_produces_library_packages_with_readme_docs_and_dependencies_and_the_rxtcp_tool()
    {
        var output = Directory.CreateTempSubdirectory("rxtcp-pack-");
        try
        {
            var (exit, log) = await ToolRunner.RunAsync(ToolRunner.Dotnet, ["pack", "RxTcp.sln", "-c", "Release", "-o", output.FullName], TimeSpan.FromMinutes(4));
            Assert.True(exit == 0, log);

            var core = Open(output, "Reactive.Tcp");
            core.HasLibrary("Reactive.Tcp");
            core.DependsOn("System.Reactive", "Microsoft.Extensions.Logging.Abstractions");

            var linux = Open(output, "Reactive.Tcp.Linux");
            linux.HasLibrary("Reactive.Tcp.Linux");
            linux.DependsOn("Reactive.Tcp", "Tmds.LibC");

            var aspnet = Open(output, "Reactive.Tcp.AspNetCore");
            aspnet.HasLibrary("Reactive.Tcp.AspNetCore");
            aspnet.DependsOn("Reactive.Tcp");
            Assert.Contains(aspnet.Nuspec.Descendants(aspnet.Ns + "frameworkReference"), f => (string?)f.Attribute("name") == "Microsoft.AspNetCore.App");

            var tool = Open(output, "rxtcp", expectReadme: false);
            Assert.Contains(tool.Nuspec.Descendants(tool.Ns + "packageType"), p => (string?)p.Attribute("name") == "DotnetTool");
            var settings = tool.Entries.Single(e => e.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
            var command = XDocument.Parse(tool.Read(settings)).Descendants("Command").Single();
            Assert.Equal("rxtcp", (string?)command.Attribute("Name"));
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    private static Package Open(DirectoryInfo folder, string id, bool expectReadme = true)
    {
        var file = folder.GetFiles($"{id}.*.nupkg").SingleOrDefault(f => char.IsDigit(f.Name[id.Length + 1]));
        Assert.True(file is not null, $"{id}.*.nupkg not in [{string.Join(", ", folder.GetFiles().Select(f => f.Name))}]");
        var package = new Package(file!.FullName);
        Assert.Equal(id, package.Metadata("id"));
        Assert.False(string.IsNullOrWhiteSpace(package.Metadata("description")));
        if (expectReadme)
        {
            Assert.Equal("README.md", package.Metadata("readme"));
            Assert.Contains("README.md", package.Entries);
            Assert.Contains("Use it from .NET", package.Read("README.md"));
        }
        return package;
    }

    private sealed class Package
    {
        public Package(string path)
        {
            using var zip = ZipFile.OpenRead(path);
            Entries = zip.Entries.Select(e => e.FullName).ToArray();
            // Only the text parts are read; assemblies are checked by name.
            Files = zip.Entries.Where(e => Path.GetExtension(e.FullName) is ".nuspec" or ".xml" or ".md")
                .ToDictionary(e => e.FullName, e => { using var reader = new StreamReader(e.Open()); return reader.ReadToEnd(); });
            Nuspec = XDocument.Parse(Files.Single(kv => kv.Key.EndsWith(".nuspec", StringComparison.Ordinal)).Value).Root!;
            Ns = Nuspec.Name.Namespace;
        }

        public Dictionary<string, string> Files { get; }
        public IReadOnlyList<string> Entries { get; }
        public XElement Nuspec { get; }
        public XNamespace Ns { get; }

        public string Read(string entry) => Files[entry];

        public string? Metadata(string name) => Nuspec.Element(Ns + "metadata")?.Element(Ns + name)?.Value;

        public void HasLibrary(string assembly)
        {
            Assert.Contains($"lib/net10.0/{assembly}.dll", Entries);
            // XML docs ship beside the assembly so IntelliSense shows them.
            var docs = Read($"lib/net10.0/{assembly}.xml");
            Assert.Contains("<member name=", docs);
        }

        public void DependsOn(params string[] ids)
        {
            var dependencies = Nuspec.Descendants(Ns + "dependency").Select(d => (string?)d.Attribute("id")).ToHashSet();
            foreach (var id in ids) Assert.Contains(id, dependencies);
        }
    }
}
