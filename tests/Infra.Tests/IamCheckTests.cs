using System.Diagnostics;

namespace HaproxyCluster.Infra.Tests;

/// <summary>scripts/iam-check.js, which make nag runs on every synthesized template: it fails on statements that grant nothing.</summary>
public sealed class IamCheckTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("iam-check-").FullName;

    [Fact]
    public async Task A_planted_wrong_statement_fails_the_check_naming_each_finding()
    {
        // GIVEN a role whose policy has a good statement, an action that does not exist, and an
        // action without resource-level permission granted on an ARN
        File.WriteAllText(Path.Combine(_folder, "Planted.template.json"), """
            {"Resources": {"Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
              {"Effect": "Allow", "Action": ["logs:PutLogEvents", "s3:GetObject*"], "Resource": "arn:aws:logs:eu-west-1:123456789012:log-group:x:*"},
              {"Effect": "Allow", "Action": "ec2:DescribeInstancez", "Resource": "*"},
              {"Sid": "Nothing", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": {"Fn::GetAtt": ["Logs", "Arn"]}}
            ]}}}}}
            """);

        // WHEN the check runs  THEN it fails, naming both and nothing else
        var (exitCode, output) = await RunAsync(_folder);

        Assert.Equal(1, exitCode);
        Assert.Equal(
            [
                "iam-check: Planted: Policy Statement[1]: ec2:DescribeInstancez is not an action of ec2",
                """iam-check: Planted: Policy Statement[2] (Nothing): logs:DescribeLogGroups takes no resource-level permission, so on ["{\"Fn::GetAtt\":[\"Logs\",\"Arn\"]}"] it grants nothing; grant it on '*' in a statement of its own, with its reason""",
            ],
            output.Split('\n').Where(l => l.Contains("Statement[", StringComparison.Ordinal)));
        Assert.Contains("iam-check: 3 statements in 1 templates, 2 finding(s)", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string folder)
    {
        using var node = Process.Start(new ProcessStartInfo("node", [Path.Combine(RepositoryRoot.Path, "scripts", "iam-check.js"), folder])
        {
            RedirectStandardOutput = true,
            WorkingDirectory = RepositoryRoot.Path,
        })!;
        var output = await node.StandardOutput.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode, output);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
