using System.Globalization;
using System.Text;
using HaproxyCluster.Infra;

namespace HaproxyCluster.Local;

/// <summary>
/// make bench's figures, from its runs (bench.csv: round, config, requests/s, p50 ms, p99 ms, CPU µs
/// a request in all, HAProxy's and rsyslog's) and callgrind's instructions per request for each
/// config: the medians over the rounds, each ratio taken inside one round (throughput drifts
/// between seconds here), what each element costs, and what a node can carry. It also writes the
/// plot's data and gnuplot script.
/// </summary>
public sealed class BenchReport(IReadOnlyList<BenchReport.Run> runs, IReadOnlyList<(string Config, long Instructions)> counts)
{
    /// <summary>One timed run: its round and config, and the figures bench.csv holds for it.</summary>
    public sealed record Run(int Round, string Config, double RequestsPerSecond, double P50, double P99, double CpuUs, double HaproxyUs, double RsyslogUs);

    private const string Minimal = "minimal";
    private const string Generated = "generated-10-hosts";
    private const string Large = "generated-10000-hosts";

    /// <summary>The runs in <paramref name="csv"/> (its header line first).</summary>
    public static IReadOnlyList<Run> ReadRuns(string csv) => [.. File.ReadLines(csv).Skip(1).Select(line => line.Split(',')).Select(f =>
        new Run(int.Parse(f[0], CultureInfo.InvariantCulture), f[1], D(f[2]), D(f[3]), D(f[4]), D(f[5]), D(f[6]), D(f[7])))];

    /// <summary>The median over the rounds of <paramref name="figure"/> for <paramref name="config"/>.</summary>
    public double Median(string config, Func<Run, double> figure) => Middle(runs.Where(r => r.Config == config).Select(figure));

    /// <summary>The median over the rounds of <paramref name="config"/>'s figure over <paramref name="baseline"/>'s in the same round.</summary>
    public double Ratio(string config, string baseline, Func<Run, double> figure) =>
        Middle(runs.Where(r => r.Config == config).Join(runs.Where(r => r.Config == baseline), r => r.Round, r => r.Round, (a, b) => figure(a) / figure(b)));

    /// <summary>
    /// The report, as make bench prints it, with the environment's declared <paramref name="peak"/>
    /// beside the capacity measured; the last line holds the ratios.
    /// </summary>
    public string Text(string environment, int rounds, int seconds, int connections, string results, PeakLoad? peak = null)
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');
        Line($"\n{"config",-24} {"requests/s",11} {"p50_ms",7} {"p99_ms",7} {"vs_minimal",10} {"cpu_us/req",10} {"haproxy",8} {"rsyslog",8} {"cpu_vs_min",10} {"instr/req",10}   (medians of {rounds} rounds of {seconds} s runs, {connections} connections)");
        foreach (var config in Timed)
        {
            Line($"{config,-24} {Median(config, r => r.RequestsPerSecond),11:0.##} {Median(config, r => r.P50),7:0.000} {Median(config, r => r.P99),7:0.000} {Ratio(config, Minimal, r => r.RequestsPerSecond),10:0.00} {Median(config, r => r.CpuUs),10:0.00} {Median(config, r => r.HaproxyUs),8:0.00} {Median(config, r => r.RsyslogUs),8:0.00} {Ratio(config, Minimal, r => r.CpuUs),10:0.00} {Instructions(config),10}");
        }

        // What each element costs: the instructions a request saves without it, and that share of
        // the full config's HAProxy CPU per request (rsyslog's cost is the access log's, above).
        var full = Instructions(Generated);
        var haproxyUs = Median(Generated, r => r.HaproxyUs);
        Line($"\n{"element",-28} {"instr/req",10} {"saves_instr",12} {"share",8} {"est_us",10}   (callgrind, {full} instructions a request in full)");
        foreach (var (element, count) in Elements)
        {
            Line($"{element,-28} {count,10} {full - count,12} {100.0 * (full - count) / full,7:0.0}% {haproxyUs * (full - count) / full,10:0.00}");
        }

        if (runs.Any(r => r.Config == LocalBench.WithJwt) && counts.Any(c => c.Config == LocalBench.JwtTokenOnly))
        {
            var jwt = Instructions(LocalBench.WithJwt) - Instructions(LocalBench.JwtTokenOnly);
            var tokenUs = haproxyUs * (Instructions(LocalBench.JwtTokenOnly) - full) / full;
            Line($"bench: JWT: Rule.RequireJwt verifying an RS256 token (2048-bit key, one forwarded claim) costs {jwt} instructions a request; measured, {LocalBench.WithJwt} took {Median(LocalBench.WithJwt, r => r.HaproxyUs):0.0} us of HAProxy's CPU a request against {haproxyUs:0.0} us without it, of which about {tokenUs:0.0} us is the bench's rule that sets the token");
        }

        if (runs.Any(r => r.Config == LocalBench.WithNodeTls) && counts.Any(c => c.Config == LocalBench.WithNodeTls))
        {
            Line($"bench: TLS: decrypting on the node (TLS 1.3, ECDSA P-256, keep-alive: a handshake a connection) costs {Instructions(LocalBench.WithNodeTls) - full} instructions a request; measured, {LocalBench.WithNodeTls} took {Median(LocalBench.WithNodeTls, r => r.HaproxyUs):0.0} us of HAProxy's CPU a request against {haproxyUs:0.0} us in clear");
        }

        var us = Median(Generated, r => r.CpuUs);
        Line($"bench: capacity: {environment} carries about {(int)(1e6 / us)} requests/s per vCPU ({us:0} us of CPU a request), adding {Median(Generated, r => r.P50) - Median(Minimal, r => r.P50):0.00} ms at p50 and {Median(Generated, r => r.P99) - Median(Minimal, r => r.P99):0.00} ms at p99 to a bare proxy");
        if (peak is null)
        {
            Line($"bench: capacity: {environment} declares no Peak, so synthesis does not check that its nodes carry one with a zone lost (HaproxyClusterProps.Peak)");
        }
        else
        {
            Line($"bench: capacity: {environment}'s Peak counts {peak.RequestsPerVcpu:N0} requests/s per vCPU for its zone-loss check; this run measured {1e6 / us:N0} ({1e6 / us / peak.RequestsPerVcpu:0.00} × that)");
        }

        Line($"bench: wrote {results}/bench.csv and {results}/bench.png");
        Line($"bench: generated/minimal instructions per request ratio {(double)full / Instructions(Minimal):0.00}");
        Line($"bench: generated/minimal throughput ratio {Ratio(Generated, Minimal, r => r.RequestsPerSecond):0.00}, cpu-per-request ratio {Ratio(Generated, Minimal, r => r.CpuUs):0.00}, 10k/10 hosts ratio {Ratio(Large, Generated, r => r.RequestsPerSecond):0.00}");
        return text.ToString();
    }

    /// <summary>Writes the plot's data and its gnuplot script (<c>bench.gp</c>) into <paramref name="folder"/>, drawing <paramref name="png"/>.</summary>
    public void WritePlot(string folder, string png, string title)
    {
        var timed = Timed.ToList();
        File.WriteAllLines(Path.Combine(folder, "medians.dat"), timed.Select((c, i) => Invariant($"{i} {c} {Median(c, r => r.RequestsPerSecond)} {Median(c, r => r.CpuUs)}")));
        File.WriteAllLines(Path.Combine(folder, "runs.dat"), runs.Select(r => Invariant($"{timed.IndexOf(r.Config)} {r.RequestsPerSecond} {r.CpuUs}")));
        File.WriteAllLines(Path.Combine(folder, "elements.dat"), Elements.Select((e, i) => Invariant($"{i} {e.Config} {Instructions(Generated) - e.Instructions}")));
        File.WriteAllText(Path.Combine(folder, "bench.gp"), Invariant($"""
            set terminal pngcairo size 900,1400 noenhanced
            set output "{png}"
            set multiplot layout 3,1 title "{title}: bar = median, dot = one run"
            set style fill solid 0.6
            set boxwidth 0.7
            set xtics rotate by -20
            set yrange [0:*]
            set key off
            set title "requests/s"
            plot "{folder}/medians.dat" using 1:3:xtic(2) with boxes, "{folder}/runs.dat" using 1:2 with points pt 7 ps 0.8 lc rgb "black"
            set title "CPU us per request (HAProxy + rsyslog)"
            plot "{folder}/medians.dat" using 1:4:xtic(2) with boxes, "{folder}/runs.dat" using 1:3 with points pt 7 ps 0.8 lc rgb "black"
            set title "instructions a request saves without each element (callgrind; full config: {Instructions(Generated)})"
            set xtics rotate by -45 font ",8"
            set rmargin 12
            set yrange [*:*]
            plot "{folder}/elements.dat" using 1:3:xtic(2) with boxes
            unset multiplot

            """));
    }

    private IEnumerable<string> Timed => runs.Select(r => r.Config).Distinct();

    private IEnumerable<(string Config, long Instructions)> Elements => counts.Where(c => !Timed.Contains(c.Config));

    private long Instructions(string config) => counts.Single(c => c.Config == config).Instructions;

    private static double Middle(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double D(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
