using System.Globalization;

namespace HaproxyCluster.Config;

/// <summary>
/// Checks a whole <see cref="HaproxySpec"/> and collects every problem, so a user fixes them all
/// in one round. Anything that reaches haproxy.cfg is checked here or quoted by <see cref="Cfg"/>.
/// </summary>
internal sealed class SpecValidator
{
    /// <summary>HAProxy reads at most 64 words a line; this leaves room for the words a rule adds.</summary>
    private const int MaxWordsPerLine = 60;

    /// <summary>HAProxy 2.6 has three sticky counters (sc0 to sc2); 3.0 can raise that, 2.6 cannot.</summary>
    private const int MaxRateLimits = 3;

    private readonly HaproxySpec _spec;
    private readonly List<ValidationError> _errors = [];
    private readonly HashSet<string> _poolNames = new(StringComparer.Ordinal);

    private SpecValidator(HaproxySpec spec) => _spec = spec;

    public static IReadOnlyList<ValidationError> Check(HaproxySpec spec)
    {
        var validator = new SpecValidator(spec);
        validator.Pools();
        validator.RequestRules();
        validator.ResponseHeaders();
        validator.Routes();
        validator.Listeners();
        validator.Settings();
        return validator._errors;
    }

    private void Add(string property, string? problem)
    {
        if (problem is not null)
        {
            _errors.Add(new ValidationError(property, problem));
        }
    }

    private static string At(string list, int index) => string.Create(CultureInfo.InvariantCulture, $"{list}[{index}]");

    private void Pools()
    {
        if (_spec.Pools.IsEmpty)
        {
            Add("Pools", "is empty; give at least one pool");
        }

        for (var i = 0; i < _spec.Pools.Count; i++)
        {
            var pool = _spec.Pools[i];
            var at = At("Pools", i);
            Add($"{at}.Name", Syntax.PoolName(pool.Name));
            if (pool.Name is not null && !_poolNames.Add(pool.Name))
            {
                Add($"{at}.Name", $"'{pool.Name}' is used by an earlier pool too; pool names must be unique");
            }

            if (pool.Servers.IsEmpty && pool.Discovery is null)
            {
                Add(at, $"pool '{pool.Name}' has no servers and no Discovery; give it at least one Server or a DnsDiscovery");
            }

            var serverNames = new HashSet<string>(StringComparer.Ordinal);
            for (var s = 0; s < pool.Servers.Count; s++)
            {
                var server = pool.Servers[s];
                var serverAt = At($"{at}.Servers", s);
                Add($"{serverAt}.Address", Syntax.Address(server.Address));
                Add($"{serverAt}.Port", Syntax.Port(server.Port));
                var name = server.Name ?? string.Create(CultureInfo.InvariantCulture, $"s{s + 1}");
                Add($"{serverAt}.Name", server.Name is null ? null : Syntax.PoolName(server.Name));
                if (!serverNames.Add(name))
                {
                    Add($"{serverAt}.Name", $"'{name}' names another server of pool '{pool.Name}' too; server names must be unique in a pool");
                }
            }

            if (pool.Discovery is { } dns)
            {
                Add($"{at}.Discovery.Hostname", Syntax.Hostname(dns.Hostname));
                Add($"{at}.Discovery.Port", Syntax.Port(dns.Port));
                Add($"{at}.Discovery.Slots", Syntax.Range(dns.Slots, 1, 1000));
            }

            var check = pool.HealthCheck;
            Add($"{at}.HealthCheck.Path", Syntax.Path(check.Path));
            Add($"{at}.HealthCheck.ExpectStatus", Syntax.Range(check.ExpectStatus, 100, 599));
            Add($"{at}.HealthCheck.Interval", Syntax.Duration(check.Interval));
            Add($"{at}.HealthCheck.Fall", Syntax.Range(check.Fall, 1, 100));
            Add($"{at}.HealthCheck.Rise", Syntax.Range(check.Rise, 1, 100));
            Add($"{at}.SlowStart", pool.SlowStart == TimeSpan.Zero ? null : Syntax.Duration(pool.SlowStart));
            Add($"{at}.ErrorLimit", pool.ErrorLimit is { } limit ? Syntax.Range(limit, 1, 1000) : null);
            Add($"{at}.MaxConnectionsPerServer", Syntax.Range(pool.MaxConnectionsPerServer, 1, 1_000_000));
            Add($"{at}.MaxQueuePerServer", Syntax.Range(pool.MaxQueuePerServer, 0, 1_000_000));
            Add($"{at}.StickyCookie", pool.StickyCookie is null ? null : Syntax.HeaderName(pool.StickyCookie));
        }

        PoolReference("DefaultPool", _spec.DefaultPool);
    }

    private void PoolReference(string property, string? pool)
    {
        if (pool is null || !_poolNames.Contains(pool))
        {
            var known = _poolNames.Count == 0 ? "none is defined" : "known pools: " + string.Join(", ", _poolNames.Order(StringComparer.Ordinal));
            Add(property, $"{Syntax.Show(pool)} is not a pool; {known}");
        }
    }

    private void RequestRules()
    {
        var rateLimitNames = new HashSet<string>(StringComparer.Ordinal);
        var pageNames = new HashSet<string>(StringComparer.Ordinal);
        var rateLimits = 0;
        int? endsEveryRequest = null;
        for (var i = 0; i < _spec.RequestRules.Count; i++)
        {
            var rule = _spec.RequestRules[i];
            var at = $"{At("RequestRules", i)} ({rule.GetType().Name})";
            if (endsEveryRequest is { } earlier)
            {
                Add(at, $"can never run: RequestRules[{earlier}] has no condition and answers every request first; give that rule a When, or move it to the end");
            }

            var extraWords = 0;
            switch (rule)
            {
                case DenyRule deny:
                    Add($"{at}.Status", Syntax.OneOf(deny.Status, Syntax.DenyStatuses));
                    break;
                case DenySourcesRule deny:
                    Add($"{at}.Status", Syntax.OneOf(deny.Status, Syntax.DenyStatuses));
                    extraWords = Cidrs($"{at}.Cidrs", deny.Cidrs);
                    break;
                case AllowOnlySourcesRule allow:
                    Add($"{at}.Status", Syntax.OneOf(allow.Status, Syntax.DenyStatuses));
                    extraWords = Cidrs($"{at}.Cidrs", allow.Cidrs);
                    break;
                case RateLimitRule limit:
                    Add($"{at}.Name", Syntax.Slug(limit.Name));
                    Unique(rateLimitNames, $"{at}.Name", "rate limit", limit.Name);
                    Add($"{at}.Requests", Syntax.Range(limit.Requests, 1, 1_000_000));
                    Add($"{at}.Period", limit.Period.Ticks % TimeSpan.TicksPerSecond == 0 && limit.Period >= TimeSpan.FromSeconds(1) && limit.Period <= TimeSpan.FromDays(1)
                        ? null
                        : $"{limit.Period} is not a whole number of seconds from 1 s to 1 day");
                    extraWords = (limit.Exempt.IsEmpty ? 0 : Cidrs($"{at}.Exempt", limit.Exempt, allowEmpty: true)) + 8;
                    if (++rateLimits == MaxRateLimits + 1)
                    {
                        Add(at, $"is rate limit number {rateLimits}; HAProxy 2.6 tracks at most {MaxRateLimits} per request; merge limits or drop one");
                    }

                    break;
                case RedirectRule redirect:
                    Add($"{at}.Status", Syntax.OneOf(redirect.Status, Syntax.RedirectStatuses));
                    Redirect($"{at}.Target", redirect.Target);
                    break;
                case RespondRule respond:
                    FixedResponse($"{at}.Response", respond.Response, pageNames);
                    break;
                case RequestHeaderRule header:
                    HeaderEdit($"{at}.Edit", header.Edit);
                    break;
                case null:
                    Add(at, "is null; remove it");
                    continue;
                default:
                    Add(at, $"{rule.GetType().Name} is not a rule this renderer knows");
                    break;
            }

            Condition($"{at}.When", rule.When, extraWords);
            if (rule.When is null && rule.EndsRequest)
            {
                endsEveryRequest ??= i;
            }
        }
    }

    private void Redirect(string at, RedirectTarget target)
    {
        switch (target)
        {
            case RedirectTarget.ToHttps when _spec.Listeners.TlsOriginPort is null:
                Add(at, "redirects to HTTPS, but Listeners.TlsOriginPort is null, so no request could ever count as HTTPS and every request would loop; set TlsOriginPort");
                break;
            case RedirectTarget.ToHost host:
                Add($"{at}.Name", Syntax.Hostname(host.Name));
                break;
            case RedirectTarget.PrefixReplacement prefix:
                Add($"{at}.From", Syntax.SimplePath(prefix.From));
                Add($"{at}.To", Syntax.SimplePath(prefix.To));
                break;
        }
    }

    private void FixedResponse(string at, FixedResponse response, HashSet<string> names)
    {
        Add($"{at}.Name", Syntax.Slug(response.Name));
        Unique(names, $"{at}.Name", "fixed response", response.Name);
        Add($"{at}.Status", response.Status is >= 200 and <= 599 and not 204 and not 304
            ? null
            : $"{response.Status} cannot carry a body; use 200 to 599, except 204 and 304");
        Add($"{at}.ContentType", Syntax.ContentType(response.ContentType));
        var bytes = response.Body is null ? -1 : System.Text.Encoding.UTF8.GetByteCount(response.Body);
        Add($"{at}.Body", bytes is >= 1 and <= Syntax.MaxBodyBytes
            ? null
            : $"is {(bytes < 0 ? "null" : $"{bytes} bytes")}; a fixed response body must be 1 to {Syntax.MaxBodyBytes} bytes of UTF-8 so it fits HAProxy's buffer (for no body at all, use Rule.Deny with a status)");
    }

    private void HeaderEdit(string at, HeaderEdit edit)
    {
        Add($"{at}.Name", Syntax.HeaderName(edit.Name));
        if (edit.Action == HeaderAction.Delete)
        {
            Add($"{at}.Value", edit.Value is null ? null : "is set, but a delete takes no value; leave Value null");
        }
        else
        {
            Add($"{at}.Value", Syntax.HeaderValue(edit.Value));
        }
    }

    private void ResponseHeaders()
    {
        for (var i = 0; i < _spec.ResponseHeaders.Count; i++)
        {
            HeaderEdit(At("ResponseHeaders", i), _spec.ResponseHeaders[i]);
        }
    }

    private void Routes()
    {
        var tables = new HashSet<string>(StringComparer.Ordinal);
        int? catchAll = null;
        for (var i = 0; i < _spec.Routes.Count; i++)
        {
            var route = _spec.Routes[i];
            var at = $"{At("Routes", i)} ({route?.GetType().Name})";
            if (catchAll is { } earlier)
            {
                Add(at, $"can never match: Routes[{earlier}] has no condition and takes every request first; give that route a When, or move it to the end");
            }

            switch (route)
            {
                case PoolRoute to:
                    PoolReference($"{at}.Pool", to.Pool);
                    Condition($"{at}.When", to.When, 0);
                    if (to.When is null)
                    {
                        catchAll ??= i;
                    }

                    break;
                case SplitRoute split:
                    if (split.Pools.Count < 2 || split.Pools.All(p => p.Weight == 0))
                    {
                        Add($"{at}.Pools", $"has {split.Pools.Count} pools, {split.Pools.Count(p => p.Weight > 0)} with weight; a split needs at least two pools and one weight above 0");
                    }

                    for (var p = 0; p < split.Pools.Count; p++)
                    {
                        PoolReference($"{At($"{at}.Pools", p)}.Pool", split.Pools[p].Pool);
                        Add($"{At($"{at}.Pools", p)}.Weight", Syntax.Range(split.Pools[p].Weight, 0, 1000));
                    }

                    Condition($"{at}.When", split.When, 8);
                    if (split.When is null)
                    {
                        catchAll ??= i;
                    }

                    break;
                case HostTableRoute table:
                    Table(at, table.Name, table.Entries, tables, key =>
                        BundleRenderer.IsWildcard(key) ? Syntax.HostSuffix(key) : Syntax.Hostname(key),
                        key => BundleRenderer.IsWildcard(key) ? Acl.HostSuffixKey(key) : key.ToLowerInvariant());
                    break;
                case PathPrefixTableRoute table:
                    Table(at, table.Name, table.Entries, tables, Syntax.Path, key => key);
                    break;
                case null:
                    Add(at, "is null; remove it");
                    break;
                default:
                    Add(at, $"{route.GetType().Name} is not a route this renderer knows");
                    break;
            }
        }
    }

    private void Table(string at, string name, ValueList<TableEntry> entries, HashSet<string> tables, Func<string, string?> checkKey, Func<string, string> normalize)
    {
        Add($"{at}.Name", Syntax.Slug(name));
        Unique(tables, $"{at}.Name", "routing table", name);
        if (entries.IsEmpty)
        {
            Add($"{at}.Entries", "is empty; give at least one entry, or remove the table");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var e = 0; e < entries.Count; e++)
        {
            var entry = entries[e];
            var entryAt = At($"{at}.Entries", e);
            var problem = checkKey(entry.Key);
            Add($"{entryAt}.Key", problem);
            if (problem is null && !keys.Add(normalize(entry.Key)))
            {
                Add($"{entryAt}.Key", $"'{entry.Key}' is in the table twice; each key may route to one pool only");
            }

            if (!_poolNames.Contains(entry.Pool ?? ""))
            {
                PoolReference($"{entryAt}.Pool", entry.Pool);
            }
        }
    }

    private void Unique(HashSet<string> seen, string at, string what, string? name)
    {
        if (name is not null && !seen.Add(name))
        {
            Add(at, $"'{name}' names an earlier {what} too; names must be unique");
        }
    }

    /// <summary>Checks a CIDR list; returns the words it adds to the rule's line.</summary>
    private int Cidrs(string at, ValueList<string> cidrs, bool allowEmpty = false)
    {
        if (cidrs.IsEmpty && !allowEmpty)
        {
            Add(at, "is empty; give at least one CIDR block");
        }

        for (var i = 0; i < cidrs.Count; i++)
        {
            Add(At(at, i), Syntax.Cidr(cidrs[i]));
        }

        return cidrs.Count + 3;
    }

    private void Condition(string at, Match? match, int extraWords)
    {
        if (match is null)
        {
            return;
        }

        var before = _errors.Count;
        Match(at, match);
        if (_errors.Count > before)
        {
            return; // The parts are wrong; their size would only add noise.
        }

        var condition = Config.Condition.From(match);
        if (condition.TermCount > Config.Condition.MaxTerms)
        {
            Add(at, $"expands to {condition.TermCount} alternatives (HAProxy conditions have no parentheses), more than {Config.Condition.MaxTerms}; split the rule into several, or use a routing table");
        }
        else if (condition.WordCount + extraWords + 6 > MaxWordsPerLine)
        {
            Add(at, $"makes a line of about {condition.WordCount + extraWords + 6} words, more than the {MaxWordsPerLine} HAProxy safely reads; split the rule or shorten its lists");
        }
    }

    private void Match(string at, Match match)
    {
        switch (match)
        {
            case HostIs m: Add($"{at}.Name", Syntax.Hostname(m.Name)); break;
            case HostEndsWith m: Add($"{at}.Suffix", Syntax.HostSuffix(m.Suffix)); break;
            case PathIs m: Add($"{at}.Value", Syntax.Path(m.Value)); break;
            case PathStartsWith m: Add($"{at}.Prefix", Syntax.Path(m.Prefix)); break;
            case PathMatches m: Add($"{at}.Pattern", Syntax.Regex(m.Pattern) ?? Syntax.AclPattern(m.Pattern)); break;
            case MethodIs m:
                if (m.Methods.IsEmpty)
                {
                    Add($"{at}.Methods", "is empty; give at least one method");
                }

                for (var i = 0; i < m.Methods.Count; i++)
                {
                    Add(At($"{at}.Methods", i), Syntax.Method(m.Methods[i]));
                }

                break;
            case HeaderPresentMatch m: Add($"{at}.Name", Syntax.HeaderName(m.Name)); break;
            case HeaderIs m:
                Add($"{at}.Name", Syntax.HeaderName(m.Name));
                Add($"{at}.Value", Syntax.HeaderValue(m.Value) ?? Syntax.AclPattern(m.Value));
                break;
            case HeaderMatches m:
                Add($"{at}.Name", Syntax.HeaderName(m.Name));
                Add($"{at}.Pattern", Syntax.Regex(m.Pattern) ?? Syntax.AclPattern(m.Pattern));
                break;
            case QueryParamIs m:
                Add($"{at}.Name", Syntax.QueryName(m.Name));
                Add($"{at}.Value", m.Value is null ? null : Syntax.QueryValue(m.Value) ?? Syntax.AclPattern(m.Value));
                break;
            case SourceIn m: Cidrs($"{at}.Cidrs", m.Cidrs); break;
            case AllOf or AnyOf:
                var parts = match is AllOf all ? all.Matches : ((AnyOf)match).Matches;
                if (parts.IsEmpty)
                {
                    Add(at, "combines no condition; give at least one");
                }

                for (var i = 0; i < parts.Count; i++)
                {
                    Match(At($"{at}.Matches", i), parts[i]);
                }

                break;
            case NotMatch m: Match($"{at}.Inner", m.Inner); break;
            case null: Add(at, "is null; leave When null on the rule instead"); break;
            default: Add(at, $"{match.GetType().Name} is not a match this renderer knows"); break;
        }
    }

    private void Listeners()
    {
        var l = _spec.Listeners;
        Add("Listeners.BindAddress", Syntax.BindAddress(l.BindAddress));
        Add("Listeners.HealthPath", Syntax.Path(l.HealthPath));
        var ports = new List<(string Name, int Port)> { ("HttpPort", l.HttpPort), ("HealthPort", l.HealthPort), ("AdminPort", l.AdminPort) };
        if (l.TlsOriginPort is { } tls)
        {
            ports.Insert(1, ("TlsOriginPort", tls));
        }

        foreach (var (name, port) in ports)
        {
            Add($"Listeners.{name}", Syntax.Port(port));
        }

        foreach (var clash in ports.GroupBy(p => p.Port).Where(g => g.Count() > 1))
        {
            Add($"Listeners.{clash.Last().Name}", $"{clash.Key} is also {string.Join(" and ", clash.SkipLast(1).Select(p => p.Name))}; every listener needs its own port");
        }
    }

    private void Settings()
    {
        var g = _spec.Global;
        Add("Global.MaxConnections", Syntax.Range(g.MaxConnections, 1, 1_000_000));
        Add("Global.HardStopAfter", Syntax.Duration(g.HardStopAfter));
        Add("Global.RuntimeSocketPath", Syntax.AbsoluteFilePath(g.RuntimeSocketPath));
        Add("Global.LogTarget", Syntax.LogTarget(g.LogTarget));
        Add("Global.User", g.User is null ? null : Syntax.Slug(g.User));

        var d = _spec.Defaults;
        Add("Defaults.ConnectTimeout", Syntax.Duration(d.ConnectTimeout));
        Add("Defaults.ClientTimeout", Syntax.Duration(d.ClientTimeout));
        Add("Defaults.ServerTimeout", Syntax.Duration(d.ServerTimeout));
        Add("Defaults.HttpRequestTimeout", Syntax.Duration(d.HttpRequestTimeout));
        Add("Defaults.HttpKeepAliveTimeout", Syntax.Duration(d.HttpKeepAliveTimeout));
        Add("Defaults.QueueTimeout", Syntax.Duration(d.QueueTimeout));
        Add("Defaults.TunnelTimeout", Syntax.Duration(d.TunnelTimeout));
        Add("Defaults.Retries", Syntax.Range(d.Retries, 0, 100));
        Add("Defaults.RetryOn", Syntax.RetryOn(d.RetryOn));
        Add("Defaults.HttpReuse", Enum.IsDefined(d.HttpReuse) ? null : $"{d.HttpReuse} is not an HttpReuse value");
        Add("Defaults.RequestIdHeader", d.RequestIdHeader is null ? null : Syntax.HeaderName(d.RequestIdHeader));

        if (ConfigRenderer.UsesDns(_spec))
        {
            if (_spec.Resolvers.Nameservers.IsEmpty)
            {
                Add("Resolvers.Nameservers", "is empty, but a pool uses DNS names; give at least one address:port");
            }

            for (var i = 0; i < _spec.Resolvers.Nameservers.Count; i++)
            {
                Add(At("Resolvers.Nameservers", i), Syntax.Endpoint(_spec.Resolvers.Nameservers[i]));
            }

            Add("Resolvers.HoldValid", Syntax.Duration(_spec.Resolvers.HoldValid));
        }
    }
}
