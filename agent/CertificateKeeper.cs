using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// Keeps the node's TLS certificates as their parameters say. Before HAProxy first starts, each is
/// written to its file. Later, one whose parameter changed is swapped into the running HAProxy
/// through the Runtime API (<c>set ssl cert</c>, then <c>commit ssl cert</c>), with no reload and
/// no connection lost, and only then written to its file, so a swap that failed is tried again at
/// the next refresh. A parameter that cannot be read, or holds no valid certificate, is an event;
/// the node keeps serving what it has.
/// </summary>
/// <param name="tls">The certificates, their parameters and their files.</param>
/// <param name="read">Reads a parameter: its value and version (<see cref="SsmParameters.GetAsync"/>).</param>
/// <param name="haproxy">The Runtime API of the node's HAProxy.</param>
/// <param name="log">Where the events go.</param>
/// <param name="time">The clock a certificate's validity is judged by, and refreshes wait on.</param>
/// <param name="metrics">Where each refresh reports the days each served certificate has left, when set.</param>
internal sealed class CertificateKeeper(
    NodeTlsSettings tls,
    Func<string, CancellationToken, Task<(string Value, long Version)>> read,
    RuntimeApi haproxy,
    ILogger log,
    TimeProvider time,
    AgentMetrics? metrics = null)
{
    /// <summary>One refresh of every certificate; true when each is in place and current.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellation)
    {
        var running = await haproxy.WorkerPidOrNullAsync(cancellation) is not null;
        var current = true;
        foreach (var certificate in tls.Certificates)
        {
            current &= await RefreshAsync(certificate, running, cancellation);
            await PublishDaysLeftAsync(certificate.Name, cancellation);
        }

        return current;
    }

    /// <summary>Refreshes every <paramref name="every"/> until cancelled; nothing it reads ends it.</summary>
    public async Task RunAsync(TimeSpan every, CancellationToken cancellation)
    {
        while (true)
        {
            await Task.Delay(every, time, cancellation);
            try
            {
                await RefreshAsync(cancellation);
            }
            catch (Exception e) when (!cancellation.IsCancellationRequested)
            {
                log.CertificatesNotRefreshed(e.GetType().Name, AgentEvents.Detail(e));
            }
        }
    }

    private async Task<bool> RefreshAsync(NodeCertificate certificate, bool running, CancellationToken cancellation)
    {
        var path = tls.PathOf(certificate.Name);
        string value;
        long version;
        try
        {
            (value, version) = await read(certificate.Parameter, cancellation);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            log.CertificateUnread(certificate.Name, certificate.Parameter, e.GetType().Name, AgentEvents.Detail(e));
            return false;
        }

        if (ServedCertificate.Parse(value, time.GetUtcNow(), out var problem) is not { } served)
        {
            log.CertificateRefused(certificate.Name, certificate.Parameter, version, problem!);
            return false;
        }

        if (File.Exists(path) && await File.ReadAllTextAsync(path, cancellation) == served.Pem)
        {
            return true;
        }

        try
        {
            if (running && !await SwapAsync(certificate.Name, path, served, cancellation))
            {
                return false;
            }

            Write(path, served.Pem);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            log.CertificateSwapFailed(certificate.Name, running ? "the swap or the file" : "the file", $"{e.GetType().Name}: {AgentEvents.Detail(e)}");
            return false;
        }

        var days = (served.NotAfter - time.GetUtcNow()).TotalDays;
        if (running)
        {
            log.CertificateRotated(certificate.Name, certificate.Parameter, version, served.Subject, served.Serial, served.Sha256, served.NotAfter, Math.Round(days, 1));
        }
        else
        {
            log.CertificateInstalled(certificate.Name, certificate.Parameter, version, served.Subject, served.Serial, served.Sha256, served.NotAfter, Math.Round(days, 1));
        }

        return true;
    }

    /// <summary>
    /// Reports the days left on what the node serves: its file, whether or not this refresh changed
    /// it, so a certificate nobody renews (or whose renewal the agent refused) sets off the alarm.
    /// </summary>
    private async Task PublishDaysLeftAsync(string name, CancellationToken cancellation)
    {
        var path = tls.PathOf(name);
        if (metrics is not null && File.Exists(path) && ServedCertificate.ExpiryOf(await File.ReadAllTextAsync(path, cancellation)) is { } notAfter)
        {
            await metrics.PublishCertificateAsync(name, (int)Math.Floor((notAfter - time.GetUtcNow()).TotalDays), cancellation);
        }
    }

    /// <summary>The running HAProxy serves <paramref name="served"/> from now on; false (an event) when it refused.</summary>
    private async Task<bool> SwapAsync(string name, string path, ServedCertificate served, CancellationToken cancellation)
    {
        // The payload ends at the first empty line: the PEM has none, and SendAsync's newline makes the end.
        var set = await haproxy.SendAsync($"set ssl cert {path} <<\n{served.Pem}", cancellation);
        if (!set.Contains("Transaction created", StringComparison.Ordinal) && !set.Contains("Transaction updated", StringComparison.Ordinal))
        {
            log.CertificateSwapFailed(name, "set ssl cert", set.ReplaceLineEndings(" ").Trim());
            return false;
        }

        var commit = await haproxy.SendAsync($"commit ssl cert {path}", cancellation);
        if (commit.Contains("Success!", StringComparison.Ordinal))
        {
            return true;
        }

        await haproxy.SendAsync($"abort ssl cert {path}", cancellation);
        log.CertificateSwapFailed(name, "commit ssl cert", commit.ReplaceLineEndings(" ").Trim());
        return false;
    }

    /// <summary>Writes the file whole or not at all, readable by its owner (root) only.</summary>
    private void Write(string path, string pem)
    {
        Directory.CreateDirectory(tls.CertificateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var next = path + ".new";
        using (var file = new FileStream(next, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(pem);
        }

        File.Move(next, path, overwrite: true);
    }
}
