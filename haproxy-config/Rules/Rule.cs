namespace HaproxyCluster.Config;

/// <summary>Factory methods for <see cref="RequestRule"/>s, so a rule list reads as a policy.</summary>
public static class Rule
{
    /// <summary>Answers requests that match <paramref name="when"/> with <paramref name="status"/>.</summary>
    public static RequestRule Deny(Match when, int status = 403) => new DenyRule(status) { When = when };

    /// <summary>Deny-list: answers <paramref name="status"/> to clients in <paramref name="cidrs"/>.</summary>
    public static RequestRule DenySources(ValueList<string> cidrs, int status = 403) => new DenySourcesRule(cidrs, status);

    /// <summary>
    /// Allow-list: answers <paramref name="status"/> to clients outside <paramref name="cidrs"/>,
    /// for requests that match <paramref name="when"/> (all when null).
    /// </summary>
    public static RequestRule AllowOnlySources(ValueList<string> cidrs, Match? when = null, int status = 403) =>
        new AllowOnlySourcesRule(cidrs, status) { When = when };

    /// <summary>
    /// At most <paramref name="requests"/> requests per <paramref name="per"/> and client address;
    /// the rest get 429. Clients in <paramref name="exempt"/> are never limited. With
    /// <see cref="RateLimitScope.Fleet"/> the limit holds for the whole cluster, not per node.
    /// </summary>
    public static RequestRule RateLimit(string name, int requests, TimeSpan per, ValueList<string> exempt = default, Match? when = null, RateLimitScope scope = RateLimitScope.Node) =>
        new RateLimitRule(name, requests, per, exempt) { When = when, Scope = scope };

    /// <summary>Redirects plain-HTTP requests to HTTPS.</summary>
    public static RequestRule RedirectToHttps(int status = 301, Match? when = null) =>
        new RedirectRule(RedirectTarget.Https, status) { When = when };

    /// <summary>Redirects requests that match <paramref name="when"/> to <paramref name="target"/>.</summary>
    public static RequestRule Redirect(RedirectTarget target, Match? when, int status = 302) =>
        new RedirectRule(target, status) { When = when };

    /// <summary>Answers requests that match <paramref name="when"/> with <paramref name="response"/>.</summary>
    public static RequestRule Respond(FixedResponse response, Match? when) => new RespondRule(response) { When = when };

    /// <summary>Sets request header <paramref name="name"/> to <paramref name="value"/>.</summary>
    public static RequestRule SetHeader(string name, string value, Match? when = null) =>
        new RequestHeaderRule(HeaderEdit.Set(name, value)) { When = when };

    /// <summary>Adds request header <paramref name="name"/>.</summary>
    public static RequestRule AddHeader(string name, string value, Match? when = null) =>
        new RequestHeaderRule(HeaderEdit.Add(name, value)) { When = when };

    /// <summary>Removes request header <paramref name="name"/>.</summary>
    public static RequestRule DeleteHeader(string name, Match? when = null) =>
        new RequestHeaderRule(HeaderEdit.Delete(name)) { When = when };
}
