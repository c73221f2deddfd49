namespace HaproxyCluster.Config;

/// <summary>
/// Turns a <see cref="HaproxySpec"/> into a <see cref="ConfigBundle"/>: validate (every problem at
/// once), lower to a <see cref="ConfigPlan"/> in which every decision is made, emit the text.
/// A pure function: the same spec always gives the same bytes; no clock, environment or I/O.
/// </summary>
public static class ConfigRenderer
{
    /// <summary>Where the bundle lives on a node.</summary>
    public const string DefaultConfigDirectory = "/etc/haproxy";

    /// <summary>Name of the bind that receives requests the NLB decrypted; rules test it with <c>so_name</c>.</summary>
    public const string TlsOriginBindName = "tls-origin";

    /// <summary>Name of the bind that terminates TLS on the node (<see cref="Listeners.Tls"/>).</summary>
    public const string TlsBindName = "tls";

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
        var problems = SpecValidator.Check(spec);
        problems["configDirectory"].Add(Syntax.AbsoluteFilePath(configDirectory));
        problems.ThrowIfAny(nameof(HaproxySpec));
        return ConfigEmitter.Emit(Planner.Plan(spec, configDirectory.TrimEnd('/')));
    }
}
