using HaproxyCluster.UserData.Tests.Support;

namespace HaproxyCluster.UserData.Tests;

public class CloudWatchAgentSchemaTests
{
    [Fact]
    public void A_misspelt_or_misplaced_key_is_reported_where_it_is()
    {
        var errors = CloudWatchAgentSchema.Errors("""
            {"logs":{"metrics_collected":{"prometheus":{"prometheus_config_path":"/etc/p.yaml",
            "emf_processor":{"metric_declaration":[{"metric_selector":["^x$"]}]}}},"log_stream_name":"x"}}
            """);

        Assert.Contains(errors, e => e.StartsWith("/logs/metrics_collected/prometheus/emf_processor/metric_declaration/0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("/logs", StringComparison.Ordinal) && !e.Contains("metric_declaration", StringComparison.Ordinal));
    }
}
