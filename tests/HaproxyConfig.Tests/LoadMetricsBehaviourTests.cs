using System.Text.RegularExpressions;
using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// What each node's CloudWatch agent scrapes for scaling (<see cref="NodeLoadMetrics"/>) is in the
/// real HAProxy's Prometheus output, on 2.6 and 3.0, under the names and labels its metric
/// declaration selects, and counts what passed through the NLB-facing frontend.
/// </summary>
public class LoadMetricsBehaviourTests(BothVersions nodes) : IClassFixture<BothVersions>
{
    [Theory]
    [InlineData("2.6")]
    [InlineData("3.0")]
    public async Task The_frontends_sessions_and_requests_are_on_the_admin_ports_metrics_endpoint(string version)
    {
        var haproxy = version == "3.0" ? nodes.Haproxy30 : nodes.Haproxy26;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await haproxy.GetAsync("/counted")).Status);
        }

        var (exitCode, metrics) = Command.Run("curl", "-fsS", $"http://127.0.0.1:{haproxy.Spec.Listeners.AdminPort}{NodeLoadMetrics.Path}");

        Assert.True(exitCode == 0, metrics);
        var selected = metrics.Split('\n')
            .Select(line => Regex.Match(line, $"^({NodeLoadMetrics.Sessions}|{NodeLoadMetrics.Requests})\\{{proxy=\"{NodeLoadMetrics.Frontend}\"\\}} ([0-9]+)$"))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, selected[NodeLoadMetrics.Sessions]); // each request closed its connection
        Assert.InRange(selected[NodeLoadMetrics.Requests], 3, 100);
    }
}
