using System.Text.RegularExpressions;
using Xunit;

namespace Reactive.Tcp.Tests.Architecture;

/// <summary>
/// The dependency rule between the core library's folders (ARCHITECTURE.md): each folder is a
/// layer and may use only layers below it; the pure parts (Wire/, Tcp/) use no Rx and no scheduler;
/// the core references none of the projects built on it. Checked on the source, so a violation
/// names the file and the line.
/// </summary>
public class LayerDependencyTests
{
    /// <summary>Layers from the bottom up; folders on one rank may not use each other.</summary>
    public static readonly IReadOnlyDictionary<string, int> Rank = new Dictionary<string, int>
    {
        ["Wire"] = 0,
        ["Tcp"] = 1,
        ["Collections"] = 1,
        ["Rx"] = 2,
        ["Links"] = 2,
        ["Interfaces"] = 3,
        ["Network"] = 4,
        ["Transport"] = 5,
        ["Api"] = 6,
        ["Stack"] = 7,
        ["Http"] = 8,
        ["Diagnostics"] = 8,
    };

    private static readonly Regex UsingDirective = new(@"^\s*using\s+(?:static\s+)?Reactive\.Tcp\.(\w+)", RegexOptions.Multiline);
    // Fully qualified names in code, and namespace-relative ones in doc references (cref="Api.TcpConnection").
    private static readonly Regex QualifiedName = new(@"Reactive\.Tcp\.(\w+)\.[A-Z]|cref=""(?:Reactive\.Tcp\.)?(Wire|Tcp|Collections|Rx|Links|Interfaces|Network|Transport|Api|Stack|Http|Diagnostics)\.[A-Z]");

    public static string CoreDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RxTcp.sln"))) dir = dir.Parent;
            Assert.NotNull(dir);
            return Path.Combine(dir!.FullName, "Reactive.Tcp");
        }
    }

    [Fact]
    public void Every_folder_of_the_core_is_a_known_layer()
    {
        var folders = Directory.GetDirectories(CoreDirectory).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToArray();
        Assert.Empty(folders.Where(f => !Rank.ContainsKey(f!)));
        Assert.Empty(Directory.GetFiles(CoreDirectory, "*.cs"));
    }

    [Fact]
    public void Each_layer_uses_only_the_layers_below_it()
    {
        var violations = new List<string>();
        foreach (var (folder, rank) in Rank)
        {
            var path = Path.Combine(CoreDirectory, folder);
            if (!Directory.Exists(path)) continue;
            foreach (var file in Directory.EnumerateFiles(path, "*.cs", SearchOption.AllDirectories))
            {
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    foreach (var used in UsedLayers(lines[i]))
                    {
                        if (used == folder || !Rank.TryGetValue(used, out int usedRank)) continue;
                        if (usedRank >= rank)
                            violations.Add($"{Path.GetRelativePath(CoreDirectory, file)}:{i + 1}: {folder} (rank {rank}) uses {used} (rank {usedRank}): {lines[i].Trim()}");
                    }
                }
            }
        }
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Theory]
    [InlineData("Wire")]
    [InlineData("Tcp")]
    public void The_pure_layers_use_no_rx_and_no_scheduler(string folder)
    {
        var offenders = Directory.EnumerateFiles(Path.Combine(CoreDirectory, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"System\.Reactive|IScheduler|IObservable<|Subject<"))
            .Select(f => Path.GetRelativePath(CoreDirectory, f))
            .ToArray();
        Assert.Empty(offenders);
    }

    [Fact]
    public void The_core_references_none_of_the_projects_built_on_it()
    {
        var project = File.ReadAllText(Path.Combine(CoreDirectory, "Reactive.Tcp.csproj"));
        Assert.DoesNotContain("ProjectReference", project);
    }

    [Fact]
    public void The_rule_catches_a_lower_layer_naming_a_higher_one()
    {
        Assert.Equal(["Stack"], UsedLayers("using Reactive.Tcp.Stack;"));
        Assert.Equal(["Api"], UsedLayers("/// <see cref=\"Api.TcpConnection\"/>"));
        Assert.Empty(UsedLayers("public bool Contains(IPv4Address a) => (a.Value & Mask) == Network.Value;"));
        Assert.Equal(["Transport"], UsedLayers("var x = new Reactive.Tcp.Transport.TcpInput();"));
        Assert.Empty(UsedLayers("tcb.Send.Una = x; // Links are fine"));
    }

    private static IEnumerable<string> UsedLayers(string line)
    {
        var m = UsingDirective.Match(line);
        if (m.Success)
        {
            yield return m.Groups[1].Value;
            yield break;
        }
        if (line.TrimStart().StartsWith("namespace ", StringComparison.Ordinal)) yield break;
        foreach (Match q in QualifiedName.Matches(line)) yield return q.Groups[1].Success ? q.Groups[1].Value : q.Groups[2].Value;
    }
}
