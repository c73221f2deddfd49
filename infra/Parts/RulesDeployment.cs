using Amazon.CDK;
using Amazon.CDK.AWS.AppConfig;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.IAM;
using Constructs;
using HaproxyCluster.Config;
using HaproxyCluster.Node;
using HaproxyCluster.UserData;
using AppConfigEnvironment = Amazon.CDK.AWS.AppConfig.Environment;
using CdkRolloutStrategy = Amazon.CDK.AWS.AppConfig.RolloutStrategy;

namespace HaproxyCluster.Infra;

/// <summary>
/// The rules as an AWS AppConfig configuration: an application and environment per cluster, a
/// hosted configuration profile whose versions are the bundle (<see cref="RulesPayload"/>, checked
/// by AppConfig against its JSON schema), the environment's deployment strategy, and a deployment
/// of the synthesized version. The environment's monitors are the alarms that should stop a bad
/// rules version; AppConfig rolls the deployment back when one fires. A rules change is a new
/// hosted version and a new deployment; nothing in the launch template changes.
/// </summary>
internal sealed class RulesDeployment
{
    /// <summary>The profile's name: the last part of the node's configuration path.</summary>
    public const string ProfileName = "rules";

    /// <summary>
    /// Adds <c>RulesApplication</c>, <c>RulesEnvironment</c>, <c>RulesMonitorRole</c>,
    /// <c>RulesStrategy</c> and <c>Rules</c> (profile, version, deployment) to <paramref name="scope"/>.
    /// </summary>
    public RulesDeployment(Construct scope, BundleArchive archive, IReadOnlyList<Alarm> monitors, HaproxyClusterProps props)
    {
        var env = props.EnvironmentName;
        Application = new Application(scope, "RulesApplication", new ApplicationProps
        {
            ApplicationName = ApplicationName(env),
            Description = $"HAProxy rules of the {env} cluster",
        });

        // AppConfig reads the alarms' state with this role: these alarms only, not every alarm.
        var monitorRole = new Role(scope, "RulesMonitorRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("appconfig.amazonaws.com"),
            Description = "AppConfig: read the alarms that roll a rules deployment back",
        });
        monitorRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["cloudwatch:DescribeAlarms"],
            Resources = [.. monitors.Select(a => a.AlarmArn)],
        }));
        Environment = new AppConfigEnvironment(scope, "RulesEnvironment", new EnvironmentProps
        {
            Application = Application,
            EnvironmentName = env,
            Description = $"The {env} cluster's nodes",
            Monitors = [.. monitors.Select(a => Amazon.CDK.AWS.AppConfig.Monitor.FromCloudWatchAlarm(a, monitorRole))],
        });

        var rollout = props.EffectiveRollout;
        var strategyProps = new RolloutStrategyProps
        {
            GrowthFactor = rollout.GrowthFactor,
            DeploymentDuration = Duration.Minutes(rollout.DeploymentTime.TotalMinutes),
            FinalBakeTime = Duration.Minutes(rollout.BakeTime.TotalMinutes),
        };
        var strategy = new DeploymentStrategy(scope, "RulesStrategy", new DeploymentStrategyProps
        {
            DeploymentStrategyName = $"haproxy-cluster-{env}-rules",
            Description = rollout.ToString(),
            RolloutStrategy = rollout.Exponential ? CdkRolloutStrategy.Exponential(strategyProps) : CdkRolloutStrategy.Linear(strategyProps),
        });

        var payload = RulesPayload.Encode(archive);
        var size = System.Text.Encoding.UTF8.GetByteCount(payload);
        var problems = new Problems();
        problems[nameof(props.Haproxy)].Require(size <= RulesPayload.MaxBytes,
            $"renders to a rules version of {size} bytes (compressed), more than AppConfig's {RulesPayload.MaxBytes} for a hosted configuration; move large tables out of the spec");
        problems.ThrowIfAny(nameof(HaproxyClusterProps));
        Configuration = new HostedConfiguration(scope, "Rules", new HostedConfigurationProps
        {
            Application = Application,
            Name = ProfileName,
            Description = $"HAProxy rules of the {env} cluster (haproxy.cfg, maps, pages)",
            Type = ConfigurationType.FREEFORM,
            Content = ConfigurationContent.FromInlineJson(payload, RulesPayload.ContentType),
            Validators = [JsonSchemaValidator.FromInline(RulesPayload.JsonSchema)],
            DeploymentStrategy = strategy,
            DeployTo = [Environment],
        });
        PayloadBytes = size;

        // The version, and only it, names its bundle: a reviewer sees which one a deployment ships.
        ((CfnHostedConfigurationVersion)Configuration.Node.DefaultChild!).Description = $"bundle {archive.Sha256}";
    }

    /// <summary>The cluster's AppConfig application.</summary>
    public Application Application { get; }

    /// <summary>The nodes' AppConfig environment.</summary>
    public AppConfigEnvironment Environment { get; }

    /// <summary>The rules' hosted configuration (profile and the synthesized version).</summary>
    public HostedConfiguration Configuration { get; }

    /// <summary>The size of the synthesized version, against AppConfig's limit.</summary>
    public int PayloadBytes { get; }

    /// <summary>The deployment of the synthesized version: nodes boot once it exists.</summary>
    public IConstruct Deployment => Configuration.Node.Children.OfType<CfnDeployment>().Single();

    /// <summary>The AppConfig application of environment <paramref name="env"/>.</summary>
    public static string ApplicationName(string env) => $"haproxy-cluster-{env}";

    /// <summary>What a node may read: this environment's rules profile, nothing else.</summary>
    public string ConfigurationArn => Stack.Of(Configuration).FormatArn(new ArnComponents
    {
        Service = "appconfig",
        Resource = "application",
        ResourceName = $"{Application.ApplicationId}/environment/{Environment.EnvironmentId}/configuration/{Configuration.ConfigurationProfileId}",
    });
}
