using System.Diagnostics;
using System.Net;
using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// The agent's parts, made from the node's settings: discovery on the manifest of the rules in
/// place, the applier and the rollout. <paramref name="fleetGroup"/> and <paramref name="instanceId"/>
/// override what the settings, EC2 and the instance metadata say (the options a person uses by hand).
/// </summary>
internal sealed class AgentParts(NodeSettings settings, ILogger log, string? fleetGroup = null, string? instanceId = null) : IDisposable
{
    private readonly Ec2ClientOnDemand _ec2 = new(settings);
    private readonly SsmParameters? _ssm = settings.Tls is { } tls ? new SsmParameters(tls, settings.Region) : null;

    public NodeSettings Settings => settings;

    /// <summary>The CloudWatch agent's EMF endpoint, when the settings name a namespace.</summary>
    public AgentMetrics? Metrics { get; } = settings.MetricsNamespace is { } name
        ? new AgentMetrics(IPEndPoint.Parse(settings.MetricsAddress), name, settings.LogGroup ?? name, TimeProvider.System)
        : null;

    /// <summary>
    /// Discovery on the membership manifest of the rules in place, or null when they bring none.
    /// Throws what reading the manifest, IMDS or EC2 throws.
    /// </summary>
    public async Task<DiscoveryLoop?> DiscoveryAsync(AgentMetrics? metrics, CancellationToken cancellation)
    {
        if (!File.Exists(settings.ManifestPath))
        {
            return null;
        }

        var manifest = MembershipManifest.FromJson(await File.ReadAllTextAsync(settings.ManifestPath, cancellation));
        var members = new Ec2Members(_ec2.Client);
        var group = fleetGroup ?? settings.FleetGroup ?? (manifest.FleetLimits.Count == 0 ? null
            : await members.GroupOfAsync(instanceId ?? await InstanceMetadata.InstanceIdAsync(cancellation), cancellation));
        return new DiscoveryLoop(manifest, members, new RuntimeApi(manifest.RuntimeSocket), TimeProvider.System, log, group, metrics);
    }

    /// <summary>The applier: it reloads with the reload command and checks the node's health endpoint.</summary>
    public BundleApplier Applier() =>
        new(settings.ConfigDirectory, new RuntimeApi(settings.RuntimeSocket), Run(settings.ReloadCommand),
            new HealthProbe(new IPEndPoint(IPAddress.Loopback, settings.HealthPort), settings.HealthPath).HealthyAsync, log);

    /// <summary>The node's bake, as its settings say.</summary>
    public NodeBakeRun Bake() => new(settings, new RuntimeApi(settings.RuntimeSocket), Metrics, log, TimeProvider.System);

    /// <summary>The rollout of the rules versions AppConfig deploys, or null when the settings name no rules URL.</summary>
    public RuleRollout? Rollout(HttpClient http) =>
        settings.RulesUrl is { } url ? new RuleRollout(http, new Uri(url), Applier(), log, Metrics) : null;

    /// <summary>The keeper of the node's TLS certificates, or null when TLS ends at the NLB.</summary>
    public CertificateKeeper? Certificates() =>
        settings.Tls is { } tls ? new CertificateKeeper(tls, _ssm!.GetAsync, new RuntimeApi(settings.RuntimeSocket), log, TimeProvider.System, Metrics) : null;

    /// <summary>A command of the settings (program and arguments, no shell), run to its end.</summary>
    public static Func<CancellationToken, Task> Run(IReadOnlyList<string> command) => async cancellation =>
    {
        using var process = Process.Start(command[0], command.Skip(1))!;
        await process.WaitForExitAsync(cancellation);
    };

    public void Dispose()
    {
        _ec2.Dispose();
        _ssm?.Dispose();
        Metrics?.Dispose();
    }
}
