using System.Diagnostics;
using System.Runtime.CompilerServices;
using Amazon.CDK;
using HaproxyCluster.Config;

namespace HaproxyCluster.Infra.Tests;

/// <summary>What a user sees when an environment is wrong: the problems, named as written, and exit code 1.</summary>
public class ClusterAppTests
{
    [Fact]
    public void A_broken_environment_prints_every_problem_under_its_name_and_synthesizes_nothing()
    {
        // The user's own list spreads the shared baseline in (its rate limit's exemption made bad
        // by the argument), then adds two rules; the second is wrong.
        var (login, loginLine) = (Rule.RateLimit("login", requests: 0, per: TimeSpan.FromMinutes(1)), Line());
        var dev = Environments.Dev with
        {
            Cluster = Environments.Dev.Cluster with
            {
                Haproxy = Environments.Dev.Haproxy with
                {
                    RequestRules = [.. SharedRules.Baseline("10.10.0.0/33", requestsPer10Seconds: 1000), Rule.SetHeader("X-Environment", "dev"), login],
                },
            },
        };
        var prod = Environments.Prod with { Cluster = Environments.Prod.Cluster with { MinCapacity = 0 } };
        var outdir = Directory.CreateTempSubdirectory("cdk-out-").FullName;
        using var errors = new StringWriter();
        try
        {
            var exitCode = ClusterApp.Synthesize(new App(new AppProps { Context = SynthesizedApp.CommittedContext(), Outdir = outdir }), [dev, Environments.Staging, prod], errors);

            Assert.Equal(1, exitCode);
            Assert.Equal(
                $"""
                synth: dev: HaproxyClusterProps has 2 problems:
                  - Haproxy.RequestRules[2] (RateLimitRule).Exempt[0]: '10.10.0.0/33' is not a CIDR block; write it as address/prefix, such as 10.0.0.0/8 or 2001:db8::/32
                    written as Rule.RateLimit("per-client", …) at SharedRules.cs:{LineOf("infra/Environments/SharedRules.cs", "Rule.RateLimit(\"per-client\"")}
                  - Haproxy.RequestRules[7] (RateLimitRule).Requests: 0 is out of range; use 1 to 1000000
                    written as Rule.RateLimit("login", …) at ClusterAppTests.cs:{loginLine}
                synth: prod: HaproxyClusterProps has 1 problem:
                  - MinCapacity: minCapacity (0) should be at least 1

                """,
                errors.ToString().ReplaceLineEndings("\n"));
            Assert.Empty(Directory.GetFiles(outdir, "*.template.json"));
        }
        finally
        {
            Directory.Delete(outdir, recursive: true);
        }
    }

    [Fact]
    public async Task The_app_process_exits_1_with_one_line_for_an_environment_that_does_not_exist()
    {
        // What the CDK CLI runs, given the context as the CLI passes it.
        var app = new ProcessStartInfo("dotnet", [typeof(ClusterApp).Assembly.Location])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The Makefile's setting too: jsii's banner for this machine's Node 20 is not the app's output.
            Environment = { ["CDK_CONTEXT_JSON"] = """{"env":"prd"}""", ["CDK_OUTDIR"] = Path.GetTempPath(), ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20" },
        };
        using var process = Process.Start(app)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", stdout);
        Assert.Equal("synth: context env is 'prd', which names no environment; use one of dev, staging, prod, or leave it out to synthesize all\n", await stderr);
    }

    private static int Line([CallerLineNumber] int line = 0) => line;

    private static int LineOf(string file, string text) =>
        Array.FindIndex(File.ReadAllLines(Path.Combine(RepositoryRoot.Path, file)), l => l.Contains(text, StringComparison.Ordinal)) + 1;
}
