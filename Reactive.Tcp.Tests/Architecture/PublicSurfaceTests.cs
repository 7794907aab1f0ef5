using System.Reflection;
using Reactive.Tcp.Stack;
using Xunit;

namespace Reactive.Tcp.Tests.Architecture;

/// <summary>
/// The deliberate public surface (issue 11): the step's machinery is internal, the tables a stack
/// publishes cannot be edited by callers, and every shipped library tracks its surface in
/// PublicAPI.Shipped.txt/Unshipped.txt, which the build enforces.
/// </summary>
public class PublicSurfaceTests
{
    private static readonly Assembly Core = typeof(TcpStack).Assembly;

    [Theory]
    [InlineData("Reactive.Tcp.Tcp.TcpStep")]
    [InlineData("Reactive.Tcp.Tcp.TcpEvent")]
    [InlineData("Reactive.Tcp.Tcp.TcpEffects")]
    [InlineData("Reactive.Tcp.Transport.IsnGenerator")]
    [InlineData("Reactive.Tcp.Transport.GroupByUntilClosedExtensions")]
    [InlineData("Reactive.Tcp.Transport.PortAllocator")]
    [InlineData("Reactive.Tcp.Collections.ObservableCache`2")]
    public void The_step_machinery_and_table_implementations_are_internal(string typeName)
    {
        var type = Core.GetType(typeName);
        Assert.NotNull(type);
        Assert.False(type!.IsPublic, $"{typeName} is public");
    }

    [Theory]
    [InlineData(nameof(TcpStack.Connections))]
    [InlineData(nameof(TcpStack.Listeners))]
    [InlineData(nameof(TcpStack.Ports))]
    public void The_stack_s_tables_offer_callers_nothing_to_edit_them_with(string property)
    {
        var type = typeof(TcpStack).GetProperty(property)!.PropertyType;
        Assert.True(type.IsInterface, $"{property} is a {type.Name}, not a read-only interface");
        var members = type.GetMethods().Select(m => m.Name).ToArray();
        Assert.DoesNotContain(members, m => m.StartsWith("Add", StringComparison.Ordinal) || m.StartsWith("Remove", StringComparison.Ordinal)
            || m.StartsWith("TryClaim", StringComparison.Ordinal) || m.StartsWith("Release", StringComparison.Ordinal) || m.StartsWith("Clear", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Reactive.Tcp")]
    [InlineData("Reactive.Tcp.Linux")]
    [InlineData("Reactive.Tcp.AspNetCore")]
    [InlineData("Reactive.Tcp.Diagnostics")]
    public void Every_shipped_library_tracks_its_public_surface(string project)
    {
        var root = Path.GetDirectoryName(LayerDependencyTests.CoreDirectory)!;
        var shipped = Path.Combine(root, project, "PublicAPI.Shipped.txt");
        Assert.True(File.Exists(shipped), $"{shipped} is missing");
        Assert.True(File.Exists(Path.Combine(root, project, "PublicAPI.Unshipped.txt")));
        Assert.Contains("<TrackPublicApi>true</TrackPublicApi>", File.ReadAllText(Path.Combine(root, project, project + ".csproj")));
        // Every public type of the assembly is declared (the analyzer checks members; this checks it ran on the types).
        var declared = File.ReadAllLines(shipped).Concat(File.ReadAllLines(Path.Combine(root, project, "PublicAPI.Unshipped.txt"))).ToHashSet();
        var assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == project) ?? Assembly.Load(project);
        var undeclared = assembly.GetExportedTypes().Where(t => !t.IsNested).Select(t => t.FullName!.Split('`')[0])
            .Where(name => !declared.Any(line => line == name || line.StartsWith(name + "<", StringComparison.Ordinal) || line.StartsWith(name + ".", StringComparison.Ordinal) || line.StartsWith("static " + name, StringComparison.Ordinal)))
            .ToArray();
        Assert.Empty(undeclared);
    }
}
