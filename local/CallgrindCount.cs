using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Local;

/// <summary>
/// Instructions per request through one bench config, counted by callgrind: the config runs once
/// more under valgrind as one process with one thread, and the count covers one run of load between
/// a zero and a dump, over the requests HAProxy counted in it (<c>CumReq</c>). A second of CPU on a
/// shared machine moves by 10 to 30 % from run to run; the instruction count holds to about 0.1 %.
/// Every request must have reached a backend, or the count prices a refusal.
/// </summary>
public static partial class CallgrindCount
{
    /// <summary>Counts <paramref name="config"/> (a bench config) in <paramref name="folder"/>, loading it at <paramref name="url"/> (over https, trusting <paramref name="caFile"/>) with <paramref name="host"/> for <paramref name="seconds"/>; throws with what went wrong.</summary>
    public static async Task<long> RunAsync(string config, string folder, Uri url, string host, int seconds, CancellationToken cancellation, string? caFile = null)
    {
        Directory.CreateDirectory(folder);
        var socket = Path.Combine(folder, "stats.sock");
        await File.WriteAllTextAsync(Path.Combine(folder, "haproxy.cfg"),
            $"global\n    nbthread 1\n    stats socket {socket} mode 600 level admin\n" + string.Concat(File.ReadLines(config).Where(l => l != "    master-worker").Select(l => l + "\n")), cancellation);

        // glibc copies large blocks with rep movsb, which callgrind counts a byte an instruction: the
        // threshold sends them through the vector loop, whose count is in proportion to its cost.
        using var valgrind = Process.Start(new ProcessStartInfo("bash", ["-c", "exec valgrind --tool=callgrind haproxy -db -f haproxy.cfg > valgrind.log 2>&1"])
        {
            WorkingDirectory = folder,
            Environment = { ["GLIBC_TUNABLES"] = "glibc.cpu.x86_rep_movsb_threshold=2097152" },
        })!;
        try
        {
            using var http = new HttpClient(Handler(caFile)) { Timeout = TimeSpan.FromSeconds(5) };
            for (var attempt = 0; attempt < 120 && !await AnswersAsync(http, url, host, cancellation); attempt++)
            {
                await Task.Delay(500, cancellation);
            }

            var before = await CumulatedRequestsAsync(socket, cancellation);
            await LocalProcess.RunAsync(["callgrind_control", "-z", valgrind.Id.ToString(CultureInfo.InvariantCulture)], cancellation);
            var wrk = Path.Combine(folder, "wrk.txt");
            var (_, load) = await LocalProcess.RunAsync(["timeout", (seconds + 30).ToString(CultureInfo.InvariantCulture), "wrk", "-t1", "-c8", $"-d{seconds.ToString(CultureInfo.InvariantCulture)}s", "-H", $"Host: {host}", url.ToString()], cancellation);
            await File.WriteAllTextAsync(wrk, load, cancellation);
            await LocalProcess.RunAsync(["callgrind_control", "-d", valgrind.Id.ToString(CultureInfo.InvariantCulture)], cancellation);
            var requests = await CumulatedRequestsAsync(socket, cancellation) - before;
            var dump = Directory.GetFiles(folder, "callgrind.out.*.1").SingleOrDefault();
            if (requests <= 0 || dump is null || load.Contains("Non-2xx", StringComparison.Ordinal) || load.Contains("Socket errors", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"callgrind counted nothing valid for {config}:\n{load}\n{await File.ReadAllTextAsync(Path.Combine(folder, "valgrind.log"), cancellation)}");
            }

            var totals = File.ReadLines(dump).Select(line => Totals().Match(line)).First(match => match.Success);
            return (long)Math.Round(double.Parse(totals.Groups[1].Value, CultureInfo.InvariantCulture) / requests);
        }
        finally
        {
            valgrind.Kill(entireProcessTree: true);
            await valgrind.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>A client that trusts <paramref name="caFile"/> alone, when given (the bench's TLS config).</summary>
    private static SocketsHttpHandler Handler(string? caFile)
    {
        var handler = new SocketsHttpHandler();
        if (caFile is not null)
        {
            handler.SslOptions.CertificateChainPolicy = LocalPki.Trusting(File.ReadAllText(caFile));
        }

        return handler;
    }

    private static async Task<bool> AnswersAsync(HttpClient http, Uri url, string host, CancellationToken cancellation)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Host = host } };
            using var response = await http.SendAsync(request, cancellation);
            return (int)response.StatusCode == 200;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<long> CumulatedRequestsAsync(string socket, CancellationToken cancellation) =>
        ((await RuntimeSocket.AskAsync(socket, "show info", cancellation)) ?? "").Split('\n')
            .Where(line => line.StartsWith("CumReq: ", StringComparison.Ordinal)).Select(line => long.Parse(line[8..], CultureInfo.InvariantCulture)).FirstOrDefault();

    [GeneratedRegex(@"^totals:\s+([0-9]+)")]
    private static partial Regex Totals();
}
