using HaproxyCluster.Config;
using HaproxyCluster.Infra;

namespace HaproxyCluster.Local.Tests;

/// <summary>
/// make bench's configs, rendered from an environment's spec: each element's config takes exactly
/// that element out (and both HAProxy versions accept it), and the report's figures are medians
/// of in-round ratios.
/// </summary>
public sealed class LocalBenchTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("local-bench-").FullName;

    [Fact]
    public void Each_element_config_lacks_its_element_and_every_config_is_valid()
    {
        // WHEN dev's bench is rendered
        var configs = LocalBench.Write(Environments.Select("dev")[0].Haproxy, _folder, firstPort: 28100, firstBackendPort: 29500, logTarget: "tcp@127.0.0.1:28099");

        // THEN the three timed configs come first (the JWT and TLS variants are timed too), each config has ports of its own, and HAProxy 2.6 and 3.0 accept every one
        Assert.Equal(["minimal", "generated-10-hosts", "generated-10000-hosts", "with-jwt", "with-node-tls"], configs.Where(c => c.Timed).Select(c => c.Name));
        Assert.Equal(configs.Count, configs.Select(c => c.Url).Distinct().Count());
        Assert.Empty(HaproxyCheck.Failures([.. configs.Select(c => c.Config)]));
        // AND each element's config lacks what the full one has
        string Config(string name) => File.ReadAllText(configs.Single(c => c.Name == name).Config);
        var full = Config("generated-10-hosts");
        foreach (var (name, line) in new[]
        {
            ("without-forwardfor", "    option forwardfor\n"),
            ("without-rate-limit", "track-sc0"),
            ("without-request-id", "unique-id-format"),
            ("without-observe", "observe layer7"),
            ("without-access-log", "log-format"),
            ("log-without-client", "\"client\":\"%ci\""),
            ("without-l7-retries", "disable-l7-retry"),
        })
        {
            Assert.Contains(line, full, StringComparison.Ordinal);
            Assert.DoesNotContain(line, Config(name), StringComparison.Ordinal);
        }

        // AND the TLS variant is the full config with its load over https to a TLS bind of its own
        var tls = configs.Single(c => c.Name == LocalBench.WithNodeTls);
        Assert.StartsWith("https://127.0.0.1:", tls.Url, StringComparison.Ordinal);
        Assert.Contains($"bind 127.0.0.1:{new Uri(tls.Url).Port} name tls ssl crt ", Config(LocalBench.WithNodeTls), StringComparison.Ordinal);
        Assert.True(File.Exists(LocalBench.CaFile(_folder)));
        Assert.Equal(File.ReadAllLines(Path.Combine(_folder, "configs.tsv")), configs.Select(c => c.Line));
    }

    [Fact]
    public void The_report_takes_medians_of_ratios_within_each_round()
    {
        // GIVEN three rounds whose throughput drifts between rounds, the generated config at half the minimal's in each
        var runs = new[] { 1000.0, 3000, 2000 }.SelectMany((rps, i) => new[]
        {
            new BenchReport.Run(i + 1, "minimal", rps, 0.1, 0.2, 20, 20, 0),
            new BenchReport.Run(i + 1, "generated-10-hosts", rps / 2, 0.3, 0.6, 40 + i, 35, 5 + i),
            new BenchReport.Run(i + 1, "generated-10000-hosts", rps / 4, 0.4, 0.8, 80, 75, 5),
        }).ToList();
        var report = new BenchReport(runs, [("minimal", 10_000), ("generated-10-hosts", 25_000), ("generated-10000-hosts", 30_000), ("without-forwardfor", 24_000)]);

        // THEN each ratio is 0.5 exactly, while the medians are the middle round's
        Assert.Equal(0.5, report.Ratio("generated-10-hosts", "minimal", r => r.RequestsPerSecond));
        Assert.Equal(1000, report.Median("generated-10-hosts", r => r.RequestsPerSecond));
        Assert.Equal(41, report.Median("generated-10-hosts", r => r.CpuUs));
        var text = report.Text("dev", 3, 3, 32, "/results", new PeakLoad(RequestsPerSecond: 500, RequestsPerVcpu: 20_000));
        Assert.Contains("bench: capacity: dev's Peak counts 20,000 requests/s per vCPU for its zone-loss check; this run measured 24,390 (1.22 × that)\n", text, StringComparison.Ordinal);
        Assert.Contains("without-forwardfor                24000         1000     4.0%       1.40", text, StringComparison.Ordinal);
        Assert.EndsWith("bench: generated/minimal throughput ratio 0.50, cpu-per-request ratio 2.05, 10k/10 hosts ratio 0.50\n", text, StringComparison.Ordinal);
        Assert.Contains("bench: generated/minimal instructions per request ratio 2.50\n", text, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
