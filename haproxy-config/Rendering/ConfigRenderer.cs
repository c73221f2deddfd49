namespace HaproxyCluster.Config;

/// <summary>
/// Turns a valid <see cref="HaproxySpec"/> into a <see cref="ConfigBundle"/>. A pure function: the
/// same spec always gives the same bytes; no clock, environment or I/O.
/// </summary>
public static class ConfigRenderer
{
    /// <summary>Where the bundle lives on a node.</summary>
    public const string DefaultConfigDirectory = "/etc/haproxy";

    /// <summary>Name of the bind that receives requests the NLB decrypted; rules test it with <c>so_name</c>.</summary>
    public const string TlsOriginBindName = "tls-origin";

    /// <summary>Names of the frontends the renderer writes.</summary>
    public const string HttpFrontend = "fe_http", HealthFrontend = "fe_health", AdminFrontend = "fe_admin";

    /// <summary>Name of the resolvers section.</summary>
    public const string ResolversName = "vpc";

    /// <summary>
    /// Validates <paramref name="spec"/>, then renders it with every file path under
    /// <paramref name="configDirectory"/> (tests point it at a temporary folder).
    /// </summary>
    /// <exception cref="ConfigValidationException">The spec, or the directory, is not valid.</exception>
    public static ConfigBundle Render(HaproxySpec spec, string configDirectory = DefaultConfigDirectory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Syntax.AbsoluteFilePath(configDirectory) is { } problem)
        {
            throw new ConfigValidationException([new ValidationError("configDirectory", problem)]);
        }

        spec.Validate();
        return new BundleRenderer(spec, configDirectory.TrimEnd('/')).Render();
    }

    /// <summary>Stick-table name of a rate limit.</summary>
    internal static string StickTable(RateLimitRule rule) => "st_" + rule.Name;

    /// <summary>Servers named by DNS, not by address, need the resolvers section.</summary>
    internal static bool UsesDns(HaproxySpec spec) =>
        spec.Pools.Any(p => p.Discovery is not null || p.Servers.Any(s => !System.Net.IPAddress.TryParse(s.Address, out _)));
}
