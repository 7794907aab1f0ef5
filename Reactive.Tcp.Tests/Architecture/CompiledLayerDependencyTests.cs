using System.Reflection;
using System.Reflection.Emit;
using Xunit;

namespace Reactive.Tcp.Tests.Architecture;

/// <summary>
/// The layer rule of <see cref="LayerDependencyTests"/> checked on what was compiled: every type of
/// the core assembly, with every type its signatures and method bodies name (calls, fields, casts,
/// generic arguments), mapped to its layer by namespace (each layer's folder is its namespace).
/// </summary>
public class CompiledLayerDependencyTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void No_compiled_type_uses_a_layer_above_its_own()
    {
        var assembly = typeof(Reactive.Tcp.Stack.TcpStack).Assembly;
        var violations = new SortedSet<string>();
        foreach (var type in assembly.GetTypes())
        {
            if (LayerOf(type) is not { } layer) continue;
            int rank = LayerDependencyTests.Rank[layer];
            foreach (var used in UsedTypes(type))
            {
                if (LayerOf(used) is not { } usedLayer || usedLayer == layer) continue;
                if (LayerDependencyTests.Rank[usedLayer] >= rank) violations.Add($"{Outer(type).FullName} ({layer}) uses {used.FullName} ({usedLayer})");
            }
        }
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_scan_sees_references_inside_method_bodies()
    {
        // TcpStack (Stack) builds the TCP transport in its constructor: a body-only reference.
        var used = UsedTypes(typeof(Reactive.Tcp.Stack.TcpStack)).Select(t => t.Name).ToHashSet();
        Assert.Contains("TcpTransport", used);
        Assert.Contains("Ipv4Output", used);
    }

    private static Type Outer(Type type)
    {
        while (type.DeclaringType is { } outer) type = outer;
        return type;
    }

    private static string? LayerOf(Type type)
    {
        var ns = Outer(type).Namespace;
        if (ns is null || !ns.StartsWith("Reactive.Tcp.", StringComparison.Ordinal)) return null;
        var layer = ns["Reactive.Tcp.".Length..].Split('.')[0];
        return LayerDependencyTests.Rank.ContainsKey(layer) ? layer : null;
    }

    private static IEnumerable<Type> UsedTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericParameter || !found.Add(t)) return;
            if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) Add(a);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(all)) Add(f.FieldType);
        foreach (var p in type.GetProperties(all)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var t in BodyReferences(m)) Add(t);
        }
        return found;
    }

    /// <summary>The types an IL body names through its metadata tokens.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception) { yield break; }
        if (il is null) yield break;
        var typeArgs = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            if (!OpCodesByValue.TryGetValue(value, out var op)) yield break;
            i += op.Size;
            switch (op.OperandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    var member = Resolve(method.Module, BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                    if (member is Type t) yield return t;
                    else if (member is not null)
                    {
                        if (member.DeclaringType is { } d) yield return d;
                        if (member is FieldInfo f) yield return f.FieldType;
                        if (member is MethodInfo m)
                        {
                            yield return m.ReturnType;
                            if (m.IsGenericMethod) foreach (var a in m.GetGenericArguments()) yield return a;
                        }
                    }
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + 4 * BitConverter.ToInt32(il, i);
                    break;
                default:
                    i += OperandSize(op.OperandType);
                    break;
            }
        }
    }

    private static MemberInfo? Resolve(Module module, int token, Type[]? typeArgs, Type[]? methodArgs)
    {
        try { return module.ResolveMember(token, typeArgs, methodArgs); }
        catch (Exception) { return null; }
    }

    private static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}
