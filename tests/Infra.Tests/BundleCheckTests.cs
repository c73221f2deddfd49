using HaproxyCluster.Config;

namespace HaproxyCluster.Infra.Tests;

/// <summary>
/// make synth's last step (local check-bundles) runs haproxy -c on the nodes' HAProxy over every
/// environment's node files: a spec that passes validation but not HAProxy fails synthesis with
/// the environment's name and HAProxy's message. Staging's TLS bind loads certificates that are
/// not in the bundle; the check stands throwaway ones at their paths.
/// </summary>
public class BundleCheckTests(SynthesizedApp app) : IClassFixture<SynthesizedApp>
{
    private static (int ExitCode, string Output) CheckBundles(string cdkOut) =>
        Command.Run("dotnet", Path.Combine(RepositoryRoot.Path, "local", "bin", "Debug", "net10.0", "HaproxyCluster.Local.dll"), "check-bundles", cdkOut, "--root", HaproxyCheck.Haproxy30Root);

    [Fact]
    public void Every_synthesized_environment_passes()
    {
        var (exitCode, output) = CheckBundles(app.Outdir);

        Assert.True(exitCode == 0, output);
        Assert.All(Environments.All, env => Assert.Contains($"synth: {env.Name}: haproxy -c 3.0", output, StringComparison.Ordinal));
    }

    [Fact]
    public void A_spec_that_passes_validation_but_not_haproxy_fails_with_the_environment_and_haproxys_message()
    {
        // GIVEN a spec C# cannot fault: a user name that is well formed but exists on no node
        var spec = Environments.Dev.Haproxy with { Global = Environments.Dev.Haproxy.Global with { User = "nosuchuser" } };
        spec.Validate();
        var cdkOut = Directory.CreateTempSubdirectory("bundle-check-").FullName;
        try
        {
            ConfigRenderer.Render(spec).WriteTo(Path.Combine(cdkOut, "node-files", "broken", "etc", "haproxy"));
            ConfigRenderer.Render(Environments.Dev.Haproxy).WriteTo(Path.Combine(cdkOut, "node-files", "fine", "etc", "haproxy"));

            // WHEN synthesis checks the node files
            var (exitCode, output) = CheckBundles(cdkOut);

            // THEN it fails, naming the environment and quoting HAProxy, and still checks the others
            Assert.Equal(1, exitCode);
            Assert.Contains("synth: broken: haproxy -c 3.0", output, StringComparison.Ordinal);
            Assert.Contains("refuses the bundle", output, StringComparison.Ordinal);
            Assert.Contains("nosuchuser", output, StringComparison.Ordinal);
            Assert.Contains("synth: fine: haproxy -c 3.0", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(cdkOut, recursive: true);
        }
    }
}
