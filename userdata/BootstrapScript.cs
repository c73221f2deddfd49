using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.UserData;

/// <summary>
/// Builds the node's user data: generated settings, then the fixed body in <c>bootstrap.sh</c>.
/// Every setting is checked and single-quoted, so no value can add a command.
/// </summary>
public static partial class BootstrapScript
{
    /// <summary>EC2's limit on user data.</summary>
    public const int MaxBytes = 16_384;

    private static readonly Lazy<string> Body = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("bootstrap.sh")!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    /// <summary>The script for <paramref name="settings"/>.</summary>
    /// <exception cref="ConfigValidationException">A setting is not valid; every problem is listed.</exception>
    public static string Build(BootstrapSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Check(settings).ThrowIfAny(nameof(BootstrapSettings));

        var script = new StringBuilder()
            .Append("#!/bin/bash\n")
            .Append("# HaproxyCluster node bootstrap, generated at synth time from C#. Do not edit.\n")
            .Append("set -euo pipefail\n\n")
            .Append(Setting("STACK_NAME", settings.StackName))
            .Append(Setting("SIGNAL_RESOURCE", settings.SignalResource))
            .Append(Setting("REGION", settings.Region))
            .Append(Setting("RULES_URL", settings.Rules.Url))
            .Append(Setting("AGENT_URI", settings.Agent.Uri))
            .Append(Setting("AGENT_SHA256", settings.Agent.Sha256))
            .Append(Setting("AGENT_READY_SECONDS", Number(settings.Agent.ReadySeconds)))
            .Append(Setting("AGENT_SETTINGS", NodeSettings.DefaultPath))
            .Append(Setting("AGENT_BIN", NodeFiles.AgentBinary))
            .Append(Setting("AGENT_LOG", NodeFiles.AgentLog))
            .Append(Setting("BOOT_LOG", NodeFiles.BootLog))
            .Append(Setting("SERVER_STATE_FILE", settings.Agent.ServerStateFile))
            .Append(Setting("PROMETHEUS_CONFIG", NodeFiles.PrometheusConfig))
            .Append(Setting("CLOUDWATCH_CONFIG", NodeFiles.CloudWatchConfig))
            .Append(Setting("GROUP_TOKEN", NodeFiles.GroupToken))
            .Append('\n')
            .Append(WriteNodeFiles(NodeFiles.For(settings)))
            .Append('\n')
            .Append(Body.Value)
            .ToString();

        var problems = new Problems()["UserData"];
        var size = Encoding.UTF8.GetByteCount(script);
        problems.Require(size <= MaxBytes, $"is {size} bytes, more than EC2's {MaxBytes}");
        problems.ThrowIfAny(nameof(BootstrapSettings));
        return script;
    }

    /// <summary>
    /// The node's rsyslog config for HAProxy's access log, the one source for the node and
    /// <c>make bench</c>: one JSON object per request over TCP on loopback <paramref name="port"/>
    /// (octet-counted, from HAProxy's log ring), written to <paramref name="file"/> message only.
    /// The lines skip journald and its rate limit. imptcp, not imtcp: it takes a line for about two
    /// thirds of the CPU (make bench), and plain TCP is all it needs.
    /// </summary>
    public static string RsyslogConfig(int port, string file) => string.Create(CultureInfo.InvariantCulture, $$"""
        module(load="imptcp")
        template(name="haproxy-json" type="string" string="%msg%\n")
        ruleset(name="haproxy-access") {
          action(type="omfile" file="{{file}}" template="haproxy-json")
        }
        input(type="imptcp" address="127.0.0.1" port="{{port}}" ruleset="haproxy-access")

        """);

    /// <summary>The node agent's settings file, from the bootstrap's settings: one source for both.</summary>
    public static NodeSettings AgentSettings(BootstrapSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new NodeSettings
        {
            Region = settings.Region,
            Ec2Endpoint = settings.Agent.Ec2Endpoint,
            RulesUrl = settings.Rules.Url,
            ConfigDirectory = settings.ConfigDirectory,
            RuntimeSocket = settings.RuntimeSocket,
            HealthPort = settings.HealthPort,
            HealthPath = settings.HealthPath,
            MetricsNamespace = settings.Agent.MetricsNamespace,
            LogGroup = settings.LogGroupName,
            Ec2CallsPerSecond = settings.Agent.Ec2CallsPerSecond,
            Bake = settings.Bake,
            Tls = settings.Tls,
            AccessLog = NodeFiles.AccessLog,
            AgentLog = NodeFiles.AgentLog,

            // The bootstrap puts in the group IMDS names for this instance, as in the Prometheus config.
            FleetGroup = NodeFiles.GroupToken,
        };
    }

    /// <summary>
    /// The shell function that writes <paramref name="files"/>, each as a quoted heredoc: bash
    /// expands nothing in it, and no line of a file is the heredoc's end marker.
    /// </summary>
    private static string WriteNodeFiles(IReadOnlyList<NodeFiles.NodeFile> files)
    {
        const string End = "NODE_FILE";
        var function = new StringBuilder("# The node's files (NodeFiles), made at synth time from the same settings.\nwrite_node_files() {\n");
        foreach (var dir in files.Select(f => Path.GetDirectoryName(f.Path)!).Distinct(StringComparer.Ordinal))
        {
            function.Append(CultureInfo.InvariantCulture, $"  mkdir -p '{dir}'\n");
        }

        foreach (var file in files)
        {
            if (!file.Content.EndsWith('\n') || file.Content.Split('\n').Contains(End, StringComparer.Ordinal) || file.Path.Contains('\'', StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{file.Path} cannot be written by a heredoc ending {End}");
            }

            function.Append(CultureInfo.InvariantCulture, $"  cat > '{file.Path}' <<'{End}'\n{file.Content}{End}\n");
        }

        return function.Append("}\n").ToString();
    }

    private const string S3UriAllowed = "s3://bucket/key with a plain bucket name and key";
    private const string Sha256Allowed = "64 lower-case hex digits";

    private static string Setting(string name, string value) => $"readonly {name}='{value}'\n";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) => Number((int)value.TotalSeconds);

    private static Problems Check(BootstrapSettings s)
    {
        var problems = new Problems();
        static void Require(Problems at, string? value, Regex pattern, string allowed) =>
            at.Require(value is not null && pattern.IsMatch(value), $"{Syntax.Show(value)} is not valid; use {allowed}");

        Require(problems[nameof(s.StackName)], s.StackName, StackName(), "a CloudFormation stack name: a letter, then letters, digits and '-'");
        Require(problems[nameof(s.SignalResource)], s.SignalResource, LogicalId(), "a logical id of letters and digits");
        Require(problems[nameof(s.Region)], s.Region, Region(), "a region such as eu-west-1");
        if (s.Rules is { } rules)
        {
            var at = problems[nameof(s.Rules)];
            foreach (var (name, value) in new[] { (nameof(rules.Application), rules.Application), (nameof(rules.Environment), rules.Environment), (nameof(rules.Profile), rules.Profile) })
            {
                Require(at[name], value, AppConfigName(), "an AppConfig name of letters, digits and _ . -");
            }

            at[nameof(rules.AgentPort)].Add(Syntax.Port(rules.AgentPort));
            at[nameof(rules.PollSeconds)].Require(rules.PollSeconds is >= 15 and <= 3600, $"{rules.PollSeconds} s is out of range; use 15 (AppConfig's fastest) to 3600");
        }
        else
        {
            problems[nameof(s.Rules)].Add("is null; name the AppConfig configuration the node reads its rules from");
        }

        Require(problems[nameof(s.LogGroupName)], s.LogGroupName, LogGroup(), "a log group name of letters, digits and _ - / . #");
        problems[nameof(s.Agent)].Require(s.Agent is not null, "is null; every node runs the node agent");
        problems[nameof(s.RuntimeSocket)].Add(Syntax.AbsoluteFilePath(s.RuntimeSocket));
        if (s.Agent is { } agent)
        {
            var at = problems[nameof(s.Agent)];
            Require(at[nameof(agent.Uri)], agent.Uri, S3Uri(), S3UriAllowed);
            Require(at[nameof(agent.Sha256)], agent.Sha256, Sha256(), Sha256Allowed);
            Require(at[nameof(agent.MetricsNamespace)], agent.MetricsNamespace, MetricsNamespace(), "a CloudWatch namespace of letters, digits and _ - / .");
            at[nameof(agent.ServerStateFile)].Add(Syntax.AbsoluteFilePath(agent.ServerStateFile));
            at[nameof(agent.Ec2Endpoint)].Require(
                agent.Ec2Endpoint is null || Uri.TryCreate(agent.Ec2Endpoint, UriKind.Absolute, out var ec2) && ec2.Scheme is "https" or "http" && ec2.AbsoluteUri == agent.Ec2Endpoint && !agent.Ec2Endpoint.Contains('\'', StringComparison.Ordinal),
                $"{Syntax.Show(agent.Ec2Endpoint)} is not valid; use an http(s) URL such as https://ec2-fips.us-east-1.amazonaws.com/, or none for the region's");
            at[nameof(agent.ReadySeconds)].Require(agent.ReadySeconds is >= 1 and <= 600, $"{agent.ReadySeconds} s is out of range; use 1 to 600");
        }

        Syntax.KeepAlive(problems[nameof(s.TcpKeepAlive)], s.TcpKeepAlive);
        problems[nameof(s.Bake)].Require(s.Bake is not null, "is null; use NodeBake.None for no bake");
        foreach (var problem in s.Bake?.Problems() ?? [])
        {
            problems[nameof(s.Bake)].Add(problem);
        }


        // The same rules, and so the same messages, as the spec's listeners and directories.
        problems[nameof(s.ConfigDirectory)].Add(Syntax.AbsoluteFilePath(s.ConfigDirectory));
        problems[nameof(s.HealthPath)].Add(Syntax.SimplePath(s.HealthPath));
        problems[nameof(s.HealthPort)].Add(Syntax.Port(s.HealthPort));
        problems[nameof(s.SyslogPort)].Add(Syntax.Port(s.SyslogPort));
        problems[nameof(s.AdminPort)].Add(Syntax.Port(s.AdminPort));
        return problems;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9-]{0,127}\z")]
    private static partial Regex StackName();

    [GeneratedRegex(@"^[A-Za-z0-9]{1,255}\z")]
    private static partial Regex LogicalId();

    [GeneratedRegex(@"^[a-z]{2}(-[a-z]+)+-[0-9]\z")]
    private static partial Regex Region();

    [GeneratedRegex(@"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[A-Za-z0-9!_.*()/-]{1,1024}\z")]
    private static partial Regex S3Uri();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,64}\z")]
    private static partial Regex AppConfigName();

    [GeneratedRegex(@"^[0-9a-f]{64}\z")]
    private static partial Regex Sha256();

    [GeneratedRegex(@"^[A-Za-z0-9_/.#-]{1,512}\z")]
    private static partial Regex LogGroup();

    [GeneratedRegex(@"^[A-Za-z0-9_/.-]{1,255}\z")]
    private static partial Regex MetricsNamespace();
}
