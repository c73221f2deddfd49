namespace HaproxyCluster.Config;

/// <summary>
/// One <c>http-request</c> rule. Rules run in list order; the factory methods on <see cref="Rule"/>
/// read best. <see cref="When"/> limits a rule to the requests it matches; null means every request.
/// </summary>
public abstract record RequestRule
{
    /// <summary>The requests the rule applies to. Default: null, every request.</summary>
    public Match? When { get; init; }

    /// <summary>Whether the rule answers the request itself, so no later rule or route sees it.</summary>
    internal abstract bool EndsRequest { get; }
}

/// <summary>Answers matching requests with an error status.</summary>
public sealed record DenyRule(int Status) : RequestRule
{
    internal override bool EndsRequest => true;
}

/// <summary>Answers with an error status every request whose client is in one of <see cref="Cidrs"/> (a deny-list).</summary>
public sealed record DenySourcesRule(ValueList<string> Cidrs, int Status) : RequestRule
{
    internal override bool EndsRequest => false;
}

/// <summary>Answers with an error status every matching request whose client is in none of <see cref="Cidrs"/> (an allow-list).</summary>
public sealed record AllowOnlySourcesRule(ValueList<string> Cidrs, int Status) : RequestRule
{
    internal override bool EndsRequest => false;
}

/// <summary>
/// Answers 429 when a client address sends more than <see cref="Requests"/> matching requests in
/// <see cref="Period"/>. Counts live in a stick table per node.
/// </summary>
/// <param name="Name">Names the stick table: lower-case letters, digits, '_' or '-'.</param>
/// <param name="Requests">Requests allowed per period, per client address.</param>
/// <param name="Period">The sliding window, in whole seconds.</param>
/// <param name="Exempt">Client CIDRs never limited.</param>
public sealed record RateLimitRule(string Name, int Requests, TimeSpan Period, ValueList<string> Exempt) : RequestRule
{
    internal override bool EndsRequest => false;
}

/// <summary>Redirects matching requests.</summary>
public sealed record RedirectRule(RedirectTarget Target, int Status) : RequestRule
{
    internal override bool EndsRequest => Target is not RedirectTarget.ToHttps;
}

/// <summary>Answers matching requests with a fixed response.</summary>
public sealed record RespondRule(FixedResponse Response) : RequestRule
{
    internal override bool EndsRequest => true;
}

/// <summary>Edits a header of matching requests.</summary>
public sealed record RequestHeaderRule(HeaderEdit Edit) : RequestRule
{
    internal override bool EndsRequest => false;
}

/// <summary>Where a redirect sends the client.</summary>
public abstract record RedirectTarget
{
    /// <summary>The same URL over HTTPS; applies only to requests that did not come over TLS.</summary>
    public static RedirectTarget Https { get; } = new ToHttps();

    /// <summary>The same path and query on <paramref name="host"/>, over HTTPS.</summary>
    public static RedirectTarget Host(string host) => new ToHost(host);

    /// <summary>The same URL with the path prefix <paramref name="from"/> replaced by <paramref name="to"/>.</summary>
    public static RedirectTarget ReplacePrefix(string from, string to) => new PrefixReplacement(from, to);

    /// <summary>The same URL over HTTPS.</summary>
    public sealed record ToHttps : RedirectTarget;

    /// <summary>Another host.</summary>
    public sealed record ToHost(string Name) : RedirectTarget;

    /// <summary>A rewritten path prefix.</summary>
    public sealed record PrefixReplacement(string From, string To) : RedirectTarget;
}

/// <summary>A response HAProxy answers with itself, such as a maintenance page.</summary>
/// <param name="Name">Names the body's file under <c>/etc/haproxy/pages/</c>: lower-case letters, digits, '_' or '-'.</param>
/// <param name="Status">The status code, 200 to 599 except 204 and 304, which have no body.</param>
/// <param name="ContentType">The Content-Type header, such as <c>text/html; charset=utf-8</c>.</param>
/// <param name="Body">The body, 1 byte to 8 KiB in UTF-8.</param>
public sealed record FixedResponse(string Name, int Status, string ContentType, string Body);

/// <summary>A change to one header.</summary>
/// <param name="Action">Set (replace), add, or delete.</param>
/// <param name="Name">The header name.</param>
/// <param name="Value">The literal value; none for delete. A <c>%</c> is sent as is.</param>
public sealed record HeaderEdit(HeaderAction Action, string Name, string? Value = null)
{
    /// <summary>Replaces every <paramref name="name"/> header with one holding <paramref name="value"/>.</summary>
    public static HeaderEdit Set(string name, string value) => new(HeaderAction.Set, name, value);

    /// <summary>Adds a <paramref name="name"/> header, keeping existing ones.</summary>
    public static HeaderEdit Add(string name, string value) => new(HeaderAction.Add, name, value);

    /// <summary>Removes every <paramref name="name"/> header.</summary>
    public static HeaderEdit Delete(string name) => new(HeaderAction.Delete, name);
}

/// <summary>What a <see cref="HeaderEdit"/> does.</summary>
public enum HeaderAction
{
    /// <summary>Replace.</summary>
    Set,

    /// <summary>Append.</summary>
    Add,

    /// <summary>Remove.</summary>
    Delete,
}
