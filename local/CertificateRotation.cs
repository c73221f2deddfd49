using System.Diagnostics;
using System.Globalization;
using HaproxyCluster.Infra;

namespace HaproxyCluster.Local;

/// <summary>
/// A certificate rotation across the local cluster, as an operator makes one on AWS: each of the
/// environment's certificates gets a new version in Parameter Store (the stand-in), and every node
/// must serve it (asked straight, with its SNI name) within the time given, by the same worker: the
/// agent swaps it in through the Runtime API, with no reload.
/// </summary>
public sealed class CertificateRotation(string localDir, NodeTls tls, int nodes, string bridgeAddress)
{
    /// <summary>Rotates every certificate; a line a node and certificate on <paramref name="output"/>; passed, and the outcome in one line.</summary>
    public async Task<(bool Passed, string Outcome)> RunAsync(TimeSpan within, TextWriter output, CancellationToken cancellation)
    {
        var runtime = new LocalNodes(localDir, nodes);
        var workers = await runtime.WorkersAsync(cancellation);
        var ca = LocalPki.CaPem(localDir);
        var slowest = TimeSpan.Zero;
        var late = 0;
        foreach (var certificate in tls.Certificates)
        {
            var serial = LocalPki.Rotate(localDir, tls, certificate.Name);
            var clock = Stopwatch.StartNew();
            var waiting = Enumerable.Range(1, nodes).Select(async node =>
            {
                var address = LocalFront.NodeAddress(bridgeAddress, node);
                while (await LocalPki.ServedSerialAsync(address, tls.NodePort, LocalPki.HostOf(certificate.Name), ca, cancellation) != serial)
                {
                    if (clock.Elapsed > within)
                    {
                        return (Node: node, Seconds: (double?)null);
                    }

                    await Task.Delay(100, cancellation);
                }

                return (Node: node, Seconds: (double?)clock.Elapsed.TotalSeconds);
            });
            foreach (var (node, seconds) in await Task.WhenAll(waiting))
            {
                output.WriteLine(seconds is { } s
                    ? string.Create(CultureInfo.InvariantCulture, $"node{node}: {certificate.Name} serves serial {serial} {s:F1} s after its parameter changed")
                    : $"node{node}: {certificate.Name} does not serve serial {serial} {within.TotalSeconds} s after its parameter changed");
                late += seconds is null ? 1 : 0;
                slowest = seconds is { } t && TimeSpan.FromSeconds(t) > slowest ? TimeSpan.FromSeconds(t) : slowest;
            }
        }

        var after = await runtime.WorkersAsync(cancellation);
        var reloaded = workers.Zip(after).Count(pair => pair.First != pair.Second);
        var outcome = string.Create(CultureInfo.InvariantCulture,
            $"{tls.Certificates.Count} certificates on {nodes} nodes, the slowest served {slowest.TotalSeconds:F1} s after its change, {late} late, worker pids {string.Join(' ', workers)} -> {string.Join(' ', after)}: {reloaded} reloads");
        return (late == 0 && reloaded == 0, outcome);
    }
}
