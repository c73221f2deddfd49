namespace HaproxyCluster.Infra;

/// <summary>
/// Files the environments read, such as the CA bundle of a partner's client certificates, built
/// into the app from <c>infra/Environments/certs/</c>: the same bytes wherever it runs (cdk synth,
/// the tests, the local cluster), with no path to resolve. Public material only: a private key
/// belongs in Parameter Store.
/// </summary>
public static class EnvironmentFiles
{
    /// <summary>The text of <c>certs/<paramref name="name"/></c>.</summary>
    public static string Certificate(string name)
    {
        using var stream = typeof(EnvironmentFiles).Assembly.GetManifestResourceStream($"certs/{name}")
            ?? throw new FileNotFoundException($"infra/Environments/certs/{name} is not built into the app; add the file");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
