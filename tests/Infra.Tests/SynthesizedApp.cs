using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.Assertions;

namespace HaproxyCluster.Infra.Tests;

/// <summary>
/// Every environment's stack, synthesized once for a whole test class into a temporary folder:
/// starting jsii and synthesizing cost seconds.
/// </summary>
public sealed class SynthesizedApp : IDisposable
{
    public SynthesizedApp()
    {
        Outdir = Directory.CreateTempSubdirectory("cdk-out-").FullName;
        var app = new App(new AppProps { Context = CommittedContext(), Outdir = Outdir });
        Stacks = Environments.All.ToDictionary(e => e.Name, e => ClusterStack.Create(app, e));

        // Template.FromStack synthesizes the whole app once, so every stack must exist before the first call.
        Templates = Stacks.ToDictionary(s => s.Key, s => Template.FromStack(s.Value));
    }

    /// <summary>
    /// What the CDK CLI passes the app: the feature flags of cdk.json, and the committed lookups
    /// of cdk.context.json, so no AWS call is needed. Zones are lists of names; a pinned image is
    /// one id; a flag is a boolean.
    /// </summary>
    public static Dictionary<string, object> CommittedContext()
    {
        static Dictionary<string, JsonElement> Read(string file) =>
            JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(Path.Combine(RepositoryRoot.Path, file)))!;

        var flags = Read("cdk.json")["context"].EnumerateObject().Select(flag => KeyValuePair.Create(flag.Name, (object)flag.Value.GetBoolean()));
        var lookups = Read("cdk.context.json").Select(entry => KeyValuePair.Create(entry.Key, entry.Value.ValueKind == JsonValueKind.Array
            ? (object)entry.Value.EnumerateArray().Select(e => e.GetString()!).ToArray()
            : entry.Value.GetString()!));
        return new Dictionary<string, object>(flags.Concat(lookups));
    }

    /// <summary>The template of <paramref name="environment"/>'s stack, synthesized alone in an app of its own.</summary>
    public static Template Synthesize(ClusterEnvironment environment)
    {
        var outdir = Directory.CreateTempSubdirectory("cdk-out-").FullName;
        try
        {
            return Template.FromStack(ClusterStack.Create(new App(new AppProps { Context = CommittedContext(), Outdir = outdir }), environment));
        }
        finally
        {
            Directory.Delete(outdir, recursive: true);
        }
    }

    public string Outdir { get; }

    public IReadOnlyDictionary<string, ClusterStack> Stacks { get; }

    public IReadOnlyDictionary<string, Template> Templates { get; }

    public void Dispose() => Directory.Delete(Outdir, recursive: true);
}
