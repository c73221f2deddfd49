using static HaproxyCluster.Config.Cfg;

namespace HaproxyCluster.Config;

/// <summary>
/// One <c>http-request</c> rule. Rules run in list order; the factory methods on <see cref="Rule"/>
/// read best. <see cref="When"/> limits a rule to the requests it matches; null means every request.
/// </summary>
/// <remarks>
/// Each kind is the one home of what it means: its values' checks (<see cref="Check"/>) and the
/// directives it lowers to (<see cref="Lower"/>). Adding a kind touches this file and <see cref="Rule"/>.
/// </remarks>
public abstract record RequestRule
{
    /// <summary>The requests the rule applies to. Default: null, every request.</summary>
    public Match? When { get; init; }

    /// <summary>
    /// Where the rule was written, set by the <see cref="Rule"/> factories; problems name the rule by
    /// it. It is not part of what the rule is: two rules that differ only here are equal.
    /// </summary>
    public WrittenAt? WrittenAt { get; init; }

    /// <summary>Whether the rule answers the request itself, so no later rule or route sees it.</summary>
    internal abstract bool EndsRequest { get; }

    /// <summary>Checks the rule's own values (not <see cref="When"/>, which the validator checks for every kind).</summary>
    internal abstract void Check(Problems at, SpecContext spec);

    /// <summary>The frontend lines this rule becomes, applied when <paramref name="when"/> holds.</summary>
    internal abstract IReadOnlyList<Directive> Lower(Planner planner, Condition when);

    /// <summary>Equal when of the same kind with the same values and <see cref="When"/>, wherever each was written.</summary>
    public virtual bool Equals(RequestRule? other) =>
        other is not null && EqualityContract == other.EqualityContract && Equals(When, other.When);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(EqualityContract, When);
}

/// <summary>Answers matching requests with an error status.</summary>
public sealed record DenyRule(int Status) : RequestRule
{
    internal override bool EndsRequest => true;

    internal override void Check(Problems at, SpecContext spec) => at["Status"].Add(Syntax.OneOf(Status, Syntax.DenyStatuses));

    internal override IReadOnlyList<Directive> Lower(Planner planner, Condition when) => [new DenyDirective(Status, when)];
}

/// <summary>Answers with an error status every request whose client is in one of <see cref="Cidrs"/> (a deny-list).</summary>
public sealed record DenySourcesRule(ValueList<string> Cidrs, int Status) : RequestRule
{
    internal override bool EndsRequest => false;

    internal override void Check(Problems at, SpecContext spec)
    {
        at["Status"].Add(Syntax.OneOf(Status, Syntax.DenyStatuses));
        Syntax.Cidrs(at["Cidrs"], Cidrs);
    }

    internal override IReadOnlyList<Directive> Lower(Planner planner, Condition when) => [new DenyDirective(Status, when.And(Acl.Source(Cidrs)))];
}

/// <summary>Answers with an error status every matching request whose client is in none of <see cref="Cidrs"/> (an allow-list).</summary>
public sealed record AllowOnlySourcesRule(ValueList<string> Cidrs, int Status) : RequestRule
{
    internal override bool EndsRequest => false;

    internal override void Check(Problems at, SpecContext spec)
    {
        at["Status"].Add(Syntax.OneOf(Status, Syntax.DenyStatuses));
        Syntax.Cidrs(at["Cidrs"], Cidrs);
    }

    internal override IReadOnlyList<Directive> Lower(Planner planner, Condition when) => [new DenyDirective(Status, when.And("!" + Acl.Source(Cidrs)))];
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
    /// <summary>Whether <see cref="Requests"/> holds per node or for the whole cluster. Default: per node.</summary>
    public RateLimitScope Scope { get; init; } = RateLimitScope.Node;

    internal override bool EndsRequest => false;

    internal override void Check(Problems at, SpecContext spec)
    {
        at["Name"].Add(Syntax.Slug(Name));
        spec.Unique(at["Name"], "rate limit", Name);
        at["Requests"].Add(Syntax.Range(Requests, 1, 1_000_000));
        at["Period"].Require(
            Period.Ticks % TimeSpan.TicksPerSecond == 0 && Period >= TimeSpan.FromSeconds(1) && Period <= TimeSpan.FromDays(1),
            $"{Period} is not a whole number of seconds from 1 s to 1 day");
        Syntax.Cidrs(at["Exempt"], Exempt, allowEmpty: true);
        at["Scope"].Require(Enum.IsDefined(Scope), $"{(int)Scope} is not a RateLimitScope; use Node or Fleet");
    }

    internal override IReadOnlyList<Directive> Lower(Planner planner, Condition when)
    {
        var counted = Exempt.IsEmpty ? when : when.And("!" + Acl.Source(Exempt));
        var (counter, table) = planner.Track(this);
        if (Scope == RateLimitScope.Node)
        {
            return
            [
                new TrackDirective(counter, table, counted),
                new DenyDirective(429, counted.And(Invariant($"{{ sc_http_req_rate({counter}) gt {Requests} }}"))),
            ];
        }

        // This node's share comes from a map the node agent keeps at limit ÷ in-service nodes
        // (set map, no reload); the file holds the whole limit, what a node enforces alone.
        var share = Invariant($"fleet_limit_{counter}");
        return
        [
            new TrackDirective(counter, table, counted),
            new SetVarDirective(share, Invariant($"str({Name}),map({planner.AddFleetLimit(this)},{Requests})"), counted),
            new DenyDirective(429, counted.And(Invariant($"{{ sc_http_req_rate({counter}),sub(txn.{share}) gt 0 }}"))),
        ];
    }
}

/// <summary>Where a rate limit holds.</summary>
public enum RateLimitScope
{
    /// <summary>Each node counts and limits on its own: the cluster lets through up to limit × nodes.</summary>
    Node,

    /// <summary>
    /// The limit holds for the whole cluster: each node enforces limit ÷ N, N being the nodes in
    /// service, which the node agent learns from the nodes' auto-scaling group and pushes without a
    /// reload. Stick-table peers cannot add counts up across nodes (they overwrite), hence the split.
    /// Until the agent's first push after a start or a reload, a node enforces the whole limit.
    /// </summary>
    Fleet,
}

/// <summary>Redirects matching requests.</summary>
public sealed record RedirectRule(RedirectTarget Target, int Status) : RequestRule
{
    internal override bool EndsRequest => Target is not RedirectTarget.ToHttps;

    internal override void Check(Problems at, SpecContext spec)
    {
        at["Status"].Add(Syntax.OneOf(Status, Syntax.RedirectStatuses));
        var target = at["Target"];
        switch (Target)
        {
            case RedirectTarget.ToHttps:
                target.Require(
                    spec.Spec.Listeners.ComesOverTls,
                    "redirects to HTTPS, but Listeners.TlsOriginPort and Listeners.Tls are null, so no request could ever count as HTTPS and every request would loop; set one");
                break;
            case RedirectTarget.ToHost host:
                target["Name"].Add(Syntax.Hostname(host.Name));
                break;
            case RedirectTarget.PrefixReplacement prefix:
                target["From"].Add(Syntax.SimplePath(prefix.From) ?? (spec.Spec.Defaults?.RejectNonNormalPaths ?? false ? NormalPath.Prefix(prefix.From) : null));
                target["To"].Add(Syntax.SimplePath(prefix.To));
                break;
            default:
                target.Add("is null; use RedirectTarget.Https, RedirectTarget.Host(…) or RedirectTarget.ReplacePrefix(…)");
                break;
        }
    }

    internal override IReadOnlyList<Directive> Lower(Planner planner, Condition when) =>
    [
        Target switch
        {
            // The Host header's port (":80") would be wrong for https; pathq is the path and query
            // even when the request line holds an absolute URI.
            RedirectTarget.ToHttps => new RedirectDirective("location", "https://%[req.hdr(host),regsub(:[0-9]+$,)]%[pathq]", Status, when.And("!" + Acl.CameOverTls)),
            RedirectTarget.ToHost to => new RedirectDirective("prefix", "https://" + to.Name.ToLowerInvariant(), Status, when),
            RedirectTarget.PrefixReplacement p => new RedirectDirective(
                "location", $"%[pathq,regsub({RegexLiteral("^" + p.From)},{p.To})]", Status, when.And($"{{ path -m beg {Word(p.From)} }}")),
            _ => throw new InvalidOperationException("validation lets no other target through"),
        },
    ];

    /// <summary>A plain path as a regex with no backslash: '.' becomes '[.]'.</summary>
    private static string RegexLiteral(string path) => path.Replace(".", "[.]", StringComparison.Ordinal);
}

/// <summary>Answers matching requests with a fixed response.</summary>
public sealed record RespondRule(FixedResponse Response) : RequestRule
{
    internal override bool EndsRequest => true;

    internal override void Check(Problems at, SpecContext spec)
    {
        at = at["Response"];
        if (Response is null)
        {
            at.Add("is null; give a FixedResponse");
            return;
        }

        at["Name"].Add(Syntax.Slug(Response.Name));
        spec.Unique(at["Name"], "fixed response", Response.Name);
        at["Status"].Require(Response.Status is >= 200 and <= 599 and not 204 and not 304, $"{Response.Status} cannot carry a body; use 200 to 599, except 204 and 304");
        at["ContentType"].Add(Syntax.ContentType(Response.ContentType));
        at["Body"].Add(Syntax.Utf8(Response.Body));
        var bytes = Response.Body is null ? -1 : System.Text.Encoding.UTF8.GetByteCount(Response.Body);
        at["Body"].Require(
            bytes is >= 1 and <= Syntax.MaxBodyBytes,
            $"is {(bytes < 0 ? "null" : $"{bytes} bytes")}; a fixed response body must be 1 to {Syntax.MaxBodyBytes} bytes of UTF-8 so it fits HAProxy's buffer (for no body at all, use Rule.Deny with a status)");
    }

    internal override IReadOnlyList<Directive> Lower(Planner planner, Condition when) =>
        [new ReturnDirective(Response.Status, Response.ContentType, planner.AddFile($"pages/{Response.Name}", Response.Body), when)];
}

/// <summary>Edits a header of matching requests.</summary>
public sealed record RequestHeaderRule(HeaderEdit Edit) : RequestRule
{
    internal override bool EndsRequest => false;

    internal override void Check(Problems at, SpecContext spec) => HeaderEdit.Check(at["Edit"], Edit);

    internal override IReadOnlyList<Directive> Lower(Planner planner, Condition when) => [new HeaderDirective(HeaderPhase.Request, Edit, when)];
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

    /// <summary>Checks <paramref name="edit"/>, which the user may have left null.</summary>
    internal static void Check(Problems at, HeaderEdit? edit)
    {
        if (edit is null)
        {
            at.Add("is null; give a HeaderEdit");
            return;
        }

        at["Name"].Add(Syntax.HeaderName(edit.Name));
        switch (edit.Action)
        {
            case HeaderAction.Delete:
                at["Value"].Require(edit.Value is null, "is set, but a delete takes no value; leave Value null");
                break;
            case HeaderAction.Set or HeaderAction.Add:
                at["Value"].Add(Syntax.HeaderValue(edit.Value));
                break;
            default:
                at["Action"].Add($"{(int)edit.Action} is not a HeaderAction; use Set, Add or Delete");
                break;
        }
    }
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
