using HaproxyCluster.Config;

namespace HaproxyCluster.Infra;

/// <summary>Rules every environment starts from; each environment adds its own after them.</summary>
internal static class SharedRules
{
    /// <summary>Addresses that abused the service (documentation ranges here; put yours).</summary>
    public static ValueList<string> Blocklist { get; } = ["203.0.113.0/24", "2001:db8:bad::/48"];

    /// <summary>The office egress ranges that may reach /admin.</summary>
    public static ValueList<string> Office { get; } = ["198.51.100.0/24"];

    /// <summary>The page served while an operator sets the X-Maintenance header at the edge.</summary>
    public static FixedResponse MaintenancePage { get; } = new(
        "maintenance", 503, "text/html; charset=utf-8",
        "<!doctype html>\n<title>Maintenance</title>\n<h1>We'll be right back.</h1>\n");

    /// <summary>
    /// Deny-list, method filter, per-client rate limit (the VPC itself exempt), admin allow-list,
    /// maintenance switch and security headers, in that order.
    /// </summary>
    public static IEnumerable<RequestRule> Baseline(string vpcCidr, int requestsPer10Seconds) =>
    [
        Rule.DenySources(Blocklist),
        Rule.Deny(Match.Method("TRACE", "CONNECT"), status: 405),
        Rule.RateLimit("per-client", requests: requestsPer10Seconds, per: TimeSpan.FromSeconds(10), exempt: [vpcCidr]),
        Rule.AllowOnlySources(Office, when: Match.PathPrefix("/admin")),
        Rule.Respond(MaintenancePage, when: Match.Header("X-Maintenance", "on") & !Match.Source(Office.ToArray())),
        Rule.DeleteHeader("X-Forwarded-Host"),
    ];

    /// <summary>Headers added to every response.</summary>
    public static ValueList<HeaderEdit> ResponseHeaders { get; } =
    [
        HeaderEdit.Set("X-Content-Type-Options", "nosniff"),
        HeaderEdit.Set("X-Frame-Options", "DENY"),
        HeaderEdit.Delete("Server"),
    ];
}
