namespace HaproxyCluster.Local.Tests;

/// <summary>wrk's text, as chaos and bench read it through <c>local wrk-report</c>.</summary>
public sealed class WrkReportTests
{
    [Fact]
    public void A_clean_run_gives_its_requests_rate_and_percentiles_in_ms()
    {
        var report = WrkReport.Parse("""
            Running 1s test @ http://127.0.0.1:28999/
              1 threads and 4 connections
              Latency Distribution
                 50%   74.00us
                 99%    1.36ms
              46215 requests in 1.00s, 2.91MB read
            Requests/sec:  46182.21
            """);

        Assert.Equal(new WrkReport(46215, 46182.21, 0.074, 1.36, 0), report with { P50Ms = Math.Round(report.P50Ms!.Value, 6) });
    }

    [Fact]
    public void Socket_errors_and_non_2xx_answers_are_failed_requests_and_a_run_that_never_ended_is_refused()
    {
        var report = WrkReport.Parse("""
              100 requests in 1.00s, 2.91MB read
              Socket errors: connect 1, read 2, write 3, timeout 4
              Non-2xx or 3xx responses: 5
            Requests/sec:     99.50
            """);

        Assert.Equal(15, report.Failed);
        Assert.Null(report.P99Ms);
        Assert.Throws<FormatException>(() => WrkReport.Parse("unable to connect to 127.0.0.1:18080 Connection refused\n"));
    }
}
