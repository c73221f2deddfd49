using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.Assertions;

namespace HaproxyCluster.Infra.Tests;

/// <summary>One synthesized app for the whole class: starting jsii costs seconds.</summary>
public sealed class SynthesizedApp
{
    public SynthesizedApp()
    {
        // The committed lookups, as the CDK CLI would pass them, so no AWS call is needed.
        var context = JsonSerializer.Deserialize<Dictionary<string, string[]>>(
            File.ReadAllText(Path.Combine(RepositoryRoot.Path, "cdk.context.json")))!
            .ToDictionary(entry => entry.Key, entry => (object)entry.Value);
        var app = new App(new AppProps { Context = context });
        var stacks = Environments.All.Select(environment => ClusterStack.Create(app, environment)).ToList();

        // Template.FromStack synthesizes the whole app once, so every stack must exist before the first call.
        foreach (var stack in stacks)
        {
            Templates[stack.StackName.Replace("HaproxyCluster-", "", StringComparison.Ordinal)] = Template.FromStack(stack);
        }
    }

    public Dictionary<string, Template> Templates { get; } = [];
}

public class ClusterStackTests(SynthesizedApp app) : IClassFixture<SynthesizedApp>
{
    [Theory]
    [InlineData("dev", "10.10.0.0/16")]
    [InlineData("staging", "10.20.0.0/16")]
    [InlineData("prod", "10.30.0.0/16")]
    public void Each_environment_gets_its_own_vpc(string environment, string cidr)
    {
        // GIVEN the environment's config  WHEN its stack is synthesized
        var template = app.Templates[environment];

        // THEN it holds one VPC with the environment's address range
        template.ResourceCountIs("AWS::EC2::VPC", 1);
        template.HasResourceProperties("AWS::EC2::VPC", new Dictionary<string, object> { ["CidrBlock"] = cidr });
    }

    [Fact]
    public void Prod_spreads_subnets_over_three_zones()
    {
        var template = app.Templates["prod"];

        // THEN one public and one private subnet per zone
        template.ResourceCountIs("AWS::EC2::Subnet", 6);
        template.ResourceCountIs("AWS::EC2::NatGateway", 3);
    }
}
