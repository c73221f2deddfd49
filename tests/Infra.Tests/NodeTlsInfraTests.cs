using System.Text.Json;
using Amazon.CDK.Assertions;
using HaproxyCluster.Node;
using CdkMatch = Amazon.CDK.Assertions.Match;

namespace HaproxyCluster.Infra.Tests;

/// <summary>
/// Staging decrypts TLS on its nodes (<see cref="NodeTls"/>): what its template and node files
/// hold, what its nodes may read, and that no synthesized file holds key material.
/// </summary>
public class NodeTlsInfraTests(SynthesizedApp app) : IClassFixture<SynthesizedApp>
{
    private const string Staging = "staging";

    private static Dictionary<string, object> Fields(params (string Key, object Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);

    [Fact]
    public void The_NLB_forwards_443_as_TCP_with_PROXY_v2_to_the_nodes_TLS_bind()
    {
        var template = app.Templates[Staging];

        template.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Fields(("Port", 443), ("Protocol", "TCP"), ("Certificates", CdkMatch.Absent())));
        template.HasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Fields(
            ("Port", 443),
            ("Protocol", "TCP"),
            ("HealthCheckProtocol", "HTTP"),
            ("HealthCheckPort", "8081"),
            ("TargetGroupAttributes", CdkMatch.ArrayWith([CdkMatch.ObjectLike(Fields(("Key", "proxy_protocol_v2.enabled"), ("Value", "true")))]))));
        template.HasResourceProperties("AWS::EC2::SecurityGroupIngress", Fields(("FromPort", 443), ("ToPort", 443), ("IpProtocol", "tcp"), ("Description", CdkMatch.StringLikeRegexp("decrypted on the node"))));
        var config = app.Stacks[Staging].Cluster.Bundle.Config;
        Assert.Contains("bind :443 accept-proxy name tls ssl crt /etc/haproxy-tls/site.pem crt /etc/haproxy-tls/api.pem ssl-min-ver TLSv1.2", config, StringComparison.Ordinal);
        Assert.Contains("ca-file /etc/haproxy/tls/clients-ca.pem verify optional", config, StringComparison.Ordinal);
    }

    [Fact]
    public void The_nodes_may_read_exactly_the_certificates_parameters_and_decrypt_only_for_them()
    {
        var statements = Statements(Staging);
        var parameters = new[] { "arn:aws:ssm:eu-west-1:123456789012:parameter/haproxy/staging/tls/site", "arn:aws:ssm:eu-west-1:123456789012:parameter/haproxy/staging/tls/api" };

        var read = Assert.Single(statements, s => s.GetProperty("Action").ToString().Contains("ssm:GetParameter", StringComparison.Ordinal));
        Assert.Equal("ssm:GetParameter", read.GetProperty("Action").GetString());
        Assert.Equal(parameters.Order(StringComparer.Ordinal), read.GetProperty("Resource").EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal));
        var decrypt = Assert.Single(statements, s => s.GetProperty("Action").ToString().Contains("kms:", StringComparison.Ordinal));
        Assert.Equal("kms:Decrypt", decrypt.GetProperty("Action").GetString());
        Assert.Equal("arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000", decrypt.GetProperty("Resource").GetString());
        var equals = decrypt.GetProperty("Condition").GetProperty("StringEquals");
        Assert.Equal("ssm.eu-west-1.amazonaws.com", equals.GetProperty("kms:ViaService").GetString());
        Assert.Equal(parameters, equals.GetProperty("kms:EncryptionContext:PARAMETER_ARN").EnumerateArray().Select(p => p.GetString()!));

        // AND the environment that decrypts at the NLB reads no parameter and uses no key
        Assert.All(new[] { "prod" }, env => Assert.DoesNotContain(Statements(env), s => s.GetProperty("Action").ToString() is var a && (a.Contains("ssm:GetParameter", StringComparison.Ordinal) || a.Contains("kms:", StringComparison.Ordinal))));
    }

    [Fact]
    public void The_agent_settings_name_the_certificates_and_where_they_go()
    {
        var userData = File.ReadAllText(Path.Combine(app.Outdir, "node-files", Staging, "user-data.sh"));
        var json = userData.Split("cat > '/etc/haproxy-cluster/agent.json' <<'NODE_FILE'\n")[1].Split("NODE_FILE\n")[0];

        var settings = NodeSettings.FromJson(json, out var error)!;

        Assert.Null(error);
        Assert.Empty(settings.Tls!.Problems()); // the whole file passes once the bootstrap puts in the group
        Assert.Equal(NodeTls.CertificateDirectory, settings.Tls!.CertificateDirectory);
        Assert.Equal([new NodeCertificate("site", "/haproxy/staging/tls/site"), new NodeCertificate("api", "/haproxy/staging/tls/api")], settings.Tls.Certificates);
        Assert.Equal(300, settings.Tls.RefreshSeconds);
        Assert.Null(settings.Tls.SsmEndpoint);
    }

    [Fact]
    public void Each_certificate_alarms_three_weeks_before_it_expires_over_a_period_of_one_refresh_and_is_graphed()
    {
        foreach (var (env, certificate, period) in new[] { (Staging, "site", 300), (Staging, "api", 300), ("dev", "site", 60) })
        {
            app.Templates[env].HasResourceProperties("AWS::CloudWatch::Alarm", Fields(
                ("AlarmName", $"haproxy-cluster-{env}-certificate-{certificate}-expiring"),
                ("Namespace", NodeAgentMetrics.Namespace(env)),
                ("MetricName", NodeAgentMetrics.CertificateDaysLeft),
                ("Dimensions", new[] { Fields(("Name", NodeAgentMetrics.CertificateDimension), ("Value", certificate)) }),
                ("Statistic", "Minimum"),
                ("Period", period),
                ("Threshold", 21),
                ("ComparisonOperator", "LessThanThreshold"),
                ("TreatMissingData", "ignore"),
                ("AlarmActions", CdkMatch.AnyValue())));
        }

        // AND the dashboard graphs the days left where the nodes decrypt, and only there
        Assert.All(new[] { (Staging, true), ("dev", true), ("prod", false) }, each =>
            Assert.Equal(each.Item2, JsonSerializer.Serialize(app.Templates[each.Item1].FindResources("AWS::CloudWatch::Dashboard").Single().Value).Contains(NodeAgentMetrics.CertificateDaysLeft, StringComparison.Ordinal)));

        // AND the environment that decrypts at the NLB has no certificate of its own to watch
        Assert.Empty(app.Templates["prod"].FindResources("AWS::CloudWatch::Alarm", Fields(("Properties", Fields(("MetricName", NodeAgentMetrics.CertificateDaysLeft))))));
    }

    [Fact]
    public void No_synthesized_file_holds_key_material()
    {
        var files = Directory.EnumerateFiles(app.Outdir, "*", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).Length < 10_000_000) // the agent binaries are assets, not text
            .ToList();

        Assert.Contains(files, f => f.EndsWith("clients-ca.pem", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Contains("PRIVATE KEY", StringComparison.Ordinal), $"{file} holds a PEM private key");
            Assert.False(text.Contains("BEGIN ENCRYPTED", StringComparison.Ordinal), $"{file} holds an encrypted key");
        }
    }

    private List<JsonElement> Statements(string env) =>
        [.. app.Templates[env].FindResources("AWS::IAM::Policy").Values
            .Select(p => JsonSerializer.SerializeToElement(p).GetProperty("Properties").GetProperty("PolicyDocument").GetProperty("Statement"))
            .SelectMany(s => s.EnumerateArray())];
}
