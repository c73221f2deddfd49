using System.Runtime.CompilerServices;

namespace HaproxyCluster.Config;

/// <summary>Factory methods for <see cref="RequestRule"/>s, so a rule list reads as a policy.</summary>
/// <remarks>
/// Each factory also takes, from the compiler, the text of its first argument and the file and line
/// of the call (<see cref="RequestRule.WrittenAt"/>), so a problem names the rule as it was written.
/// </remarks>
public static class Rule
{
    /// <summary>Answers requests that match <paramref name="when"/> with <paramref name="status"/>.</summary>
    public static RequestRule Deny(Match when, int status = 403,
        [CallerArgumentExpression(nameof(when))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new DenyRule(status) { When = when, WrittenAt = WrittenAt.Of(nameof(Deny), written, file, line) };

    /// <summary>Deny-list: answers <paramref name="status"/> to clients in <paramref name="cidrs"/>.</summary>
    public static RequestRule DenySources(ValueList<string> cidrs, int status = 403,
        [CallerArgumentExpression(nameof(cidrs))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new DenySourcesRule(cidrs, status) { WrittenAt = WrittenAt.Of(nameof(DenySources), written, file, line) };

    /// <summary>
    /// Allow-list: answers <paramref name="status"/> to clients outside <paramref name="cidrs"/>,
    /// for requests that match <paramref name="when"/> (all when null).
    /// </summary>
    public static RequestRule AllowOnlySources(ValueList<string> cidrs, Match? when = null, int status = 403,
        [CallerArgumentExpression(nameof(cidrs))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new AllowOnlySourcesRule(cidrs, status) { When = when, WrittenAt = WrittenAt.Of(nameof(AllowOnlySources), written, file, line) };

    /// <summary>
    /// At most <paramref name="requests"/> requests per <paramref name="per"/> and client address;
    /// the rest get 429. Clients in <paramref name="exempt"/> are never limited. With
    /// <see cref="RateLimitScope.Fleet"/> the limit holds for the whole cluster, not per node.
    /// </summary>
    public static RequestRule RateLimit(string name, int requests, TimeSpan per, ValueList<string> exempt = default, Match? when = null, RateLimitScope scope = RateLimitScope.Node,
        [CallerArgumentExpression(nameof(name))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new RateLimitRule(name, requests, per, exempt) { When = when, Scope = scope, WrittenAt = WrittenAt.Of(nameof(RateLimit), written, file, line) };

    /// <summary>
    /// Requires a valid JWT from <paramref name="issuer"/> in <c>Authorization: Bearer</c> on requests
    /// that match <paramref name="when"/> (all when null); others are answered 401 with
    /// <c>WWW-Authenticate: Bearer</c> saying why (<see cref="RequireJwtRule"/>).
    /// </summary>
    public static RequestRule RequireJwt(string name, JwtIssuer issuer, Match? when = null,
        [CallerArgumentExpression(nameof(name))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new RequireJwtRule(name, issuer) { When = when, WrittenAt = WrittenAt.Of(nameof(RequireJwt), written, file, line) };

    /// <summary>Redirects plain-HTTP requests to HTTPS.</summary>
    public static RequestRule RedirectToHttps(int status = 301, Match? when = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new RedirectRule(RedirectTarget.Https, status) { When = when, WrittenAt = WrittenAt.Of(nameof(RedirectToHttps), "", file, line) };

    /// <summary>Redirects requests that match <paramref name="when"/> to <paramref name="target"/>.</summary>
    public static RequestRule Redirect(RedirectTarget target, Match? when, int status = 302,
        [CallerArgumentExpression(nameof(target))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new RedirectRule(target, status) { When = when, WrittenAt = WrittenAt.Of(nameof(Redirect), written, file, line) };

    /// <summary>Answers requests that match <paramref name="when"/> with <paramref name="response"/>.</summary>
    public static RequestRule Respond(FixedResponse response, Match? when,
        [CallerArgumentExpression(nameof(response))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new RespondRule(response) { When = when, WrittenAt = WrittenAt.Of(nameof(Respond), written, file, line) };

    /// <summary>Sets request header <paramref name="name"/> to <paramref name="value"/>.</summary>
    public static RequestRule SetHeader(string name, string value, Match? when = null,
        [CallerArgumentExpression(nameof(name))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new RequestHeaderRule(HeaderEdit.Set(name, value)) { When = when, WrittenAt = WrittenAt.Of(nameof(SetHeader), written, file, line) };

    /// <summary>Adds request header <paramref name="name"/>.</summary>
    public static RequestRule AddHeader(string name, string value, Match? when = null,
        [CallerArgumentExpression(nameof(name))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new RequestHeaderRule(HeaderEdit.Add(name, value)) { When = when, WrittenAt = WrittenAt.Of(nameof(AddHeader), written, file, line) };

    /// <summary>Removes request header <paramref name="name"/>.</summary>
    public static RequestRule DeleteHeader(string name, Match? when = null,
        [CallerArgumentExpression(nameof(name))] string written = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new RequestHeaderRule(HeaderEdit.Delete(name)) { When = when, WrittenAt = WrittenAt.Of(nameof(DeleteHeader), written, file, line) };
}
