namespace HaproxyCluster.Config;

/// <summary>The anonymous ACL (<c>{ fetch -m method pattern }</c>) for each kind of match.</summary>
internal static class Acl
{
    /// <summary>The request's host, without port, in lower case.</summary>
    public const string HostFetch = "req.hdr(host),field(1,:),lower";

    public static string For(Match match) => match switch
    {
        HostIs m => Braced($"{HostFetch} -m str {Cfg.Pattern(m.Name.ToLowerInvariant())}"),
        HostEndsWith m => Braced($"{HostFetch} -m end {Cfg.Pattern(HostSuffixKey(m.Suffix))}"),
        PathIs m => Braced($"path -m str {Cfg.Pattern(m.Value)}"),
        PathStartsWith m => Braced($"path -m beg {Cfg.Pattern(m.Prefix)}"),
        PathMatches m => Braced($"path -m reg {Cfg.Pattern(m.Pattern)}"),
        MethodIs m => Braced($"method {string.Join(' ', m.Methods)}"),
        HeaderPresentMatch m => Braced($"req.hdr({m.Name}) -m found"),
        HeaderIs m => Braced($"req.fhdr({m.Name}) -m str {Cfg.Pattern(m.Value)}"),
        HeaderMatches m => Braced($"req.fhdr({m.Name}) -m reg {Cfg.Pattern(m.Pattern)}"),
        QueryParamIs { Value: null } m => Braced($"url_param({m.Name}) -m found"),
        QueryParamIs m => Braced($"url_param({m.Name}) -m str {Cfg.Pattern(m.Value!)}"),
        SourceIn m => Source(m.Cidrs),
        _ => throw new ArgumentException($"{match.GetType().Name} has no ACL of its own", nameof(match)),
    };

    /// <summary>The client address (from PROXY protocol behind the NLB) is in one of <paramref name="cidrs"/>.</summary>
    public static string Source(IEnumerable<string> cidrs) => Braced($"src {string.Join(' ', cidrs)}");

    /// <summary>The request's method is idempotent (RFC 9110, 9.2.2), so sending it twice is safe.</summary>
    public const string IdempotentMethod = "{ method GET HEAD OPTIONS TRACE PUT DELETE }";

    /// <summary>The request reached the bind for traffic the NLB decrypted.</summary>
    public static string CameOverTls => Braced($"so_name {ConfigRenderer.TlsOriginBindName}");

    /// <summary><c>*.example.com</c> and <c>.example.com</c> both become <c>.example.com</c>.</summary>
    public static string HostSuffixKey(string suffix) => "." + suffix.TrimStart('*').TrimStart('.').ToLowerInvariant();

    private static string Braced(string acl) => "{ " + acl + " }";
}
