namespace HaproxyCluster.Config;

/// <summary>
/// Checks a whole <see cref="HaproxySpec"/> and collects every problem, so a user fixes them all in
/// one round. Values are checked where they are defined (each rule, route and match checks its
/// own); limits on what HAProxy can read (line words, condition size, stick counters) are checked
/// on the lines the emitter really writes for each rule whose values are fine.
/// </summary>
internal sealed class SpecValidator
{
    /// <summary>HAProxy reads at most 64 words a line (MAX_LINE_ARGS); it refuses a longer one.</summary>
    public const int MaxWordsPerLine = 64;

    private readonly HaproxySpec _spec;
    private readonly Problems _problems = new();
    private readonly SpecContext _context;
    private readonly Planner _planner;

    private SpecValidator(HaproxySpec spec)
    {
        _spec = spec;
        _context = new SpecContext(spec);
        _planner = new Planner(spec, ConfigRenderer.DefaultConfigDirectory);
    }

    public static Problems Check(HaproxySpec spec)
    {
        var validator = new SpecValidator(spec);
        validator.Pools();
        validator.RequestRules();
        validator.ResponseHeaders();
        validator.Routes();
        validator.Listeners();
        validator.Settings();
        return validator._problems;
    }

    private void Pools()
    {
        var pools = _problems["Pools"];
        pools.Require(!_spec.Pools.IsEmpty, "is empty; give at least one pool");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < _spec.Pools.Count; i++)
        {
            var pool = _spec.Pools[i];
            var at = pools[i];
            if (pool is null)
            {
                at.Add("is null; remove it");
                continue;
            }

            at["Name"].Add(Syntax.PoolName(pool.Name));
            at["Name"].Require(pool.Name is null || names.Add(pool.Name), $"'{pool.Name}' is used by an earlier pool too; pool names must be unique");
            at.Require(!pool.Servers.IsEmpty || pool.Discovery is not null, $"pool '{pool.Name}' has no servers and no Discovery; give it at least one Server, or a DnsDiscovery or Ec2Discovery");
            Servers(at, pool);
            pool.Discovery?.Check(at["Discovery"]);
            pool.Tls?.Check(at["Tls"], pool);

            at["Balance"].Require(Enum.IsDefined(pool.Balance), $"{(int)pool.Balance} is not a Balance; use RoundRobin, LeastConn or Source");
            at["Protocol"].Require(Enum.IsDefined(pool.Protocol), $"{(int)pool.Protocol} is not a ServerProtocol; use Http1 or Http2");
            var check = at["HealthCheck"];
            check["Kind"].Require(Enum.IsDefined(pool.HealthCheck.Kind), $"{(int)pool.HealthCheck.Kind} is not a HealthCheckKind; use Http or Tcp");
            check["Path"].Add(Syntax.Path(pool.HealthCheck.Path));
            check["ExpectStatus"].Add(Syntax.Range(pool.HealthCheck.ExpectStatus, 100, 599));
            check["Interval"].Add(Syntax.Duration(pool.HealthCheck.Interval));
            check["Fall"].Add(Syntax.Range(pool.HealthCheck.Fall, 1, 100));
            check["Rise"].Add(Syntax.Range(pool.HealthCheck.Rise, 1, 100));
            at["SlowStart"].Add(pool.SlowStart == TimeSpan.Zero ? null : Syntax.Duration(pool.SlowStart));
            at["ErrorLimit"].Add(pool.ErrorLimit is { } limit ? Syntax.Range(limit, 1, 1000) : null);
            at["MaxConnectionsPerServer"].Add(Syntax.Range(pool.MaxConnectionsPerServer, 1, 1_000_000));
            at["MaxQueuePerServer"].Add(Syntax.Range(pool.MaxQueuePerServer, 0, 1_000_000));
            at["StickyCookie"].Add(pool.StickyCookie is null ? null : Syntax.CookieName(pool.StickyCookie));
        }

        _context.PoolReference(_problems["DefaultPool"], _spec.DefaultPool);
    }

    private static void Servers(Problems pool, Pool spec)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var s = 0;
        foreach (var (server, name) in spec.NamedServers())
        {
            var at = pool["Servers"][s++];
            if (server is null)
            {
                at.Add("is null; remove it");
                continue;
            }

            at["Address"].Add(Syntax.Address(server.Address));
            at["Port"].Add(Syntax.Port(server.Port));
            at["Name"].Add(server.Name is null ? null : Syntax.ServerName(server.Name));
            at["Name"].Require(names.Add(name), $"'{name}' names another server of pool '{spec.Name}' too; server names must be unique in a pool");
        }
    }

    private void RequestRules()
    {
        int? endsEveryRequest = null;
        for (var i = 0; i < _spec.RequestRules.Count; i++)
        {
            var rule = _spec.RequestRules[i];
            var at = _problems["RequestRules"][i].Kind(rule).Written(rule?.WrittenAt);
            if (endsEveryRequest is { } earlier)
            {
                at.Add($"can never run: RequestRules[{earlier}] has no condition and answers every request first; give that rule a When, or move it to the end");
            }

            if (rule is null)
            {
                at.Add("is null; remove it");
                continue;
            }

            var before = _problems.Count;
            rule.Check(at, _context);
            if (rule.When is not null)
            {
                Match.CheckOne(at["When"], rule.When);
                CheckReachable(at["When"], rule.When);
            }

            if (Lowerable(at, rule.When, before))
            {
                var counters = _planner.StickCounters;
                Lines(at, _planner.Lower(rule));
                at.Require(
                    _planner.StickCounters <= Planner.MaxStickCounters || counters > Planner.MaxStickCounters,
                    $"is rate limit number {_planner.StickCounters}; HAProxy 2.6 tracks at most {Planner.MaxStickCounters} per request; merge limits or drop one");
            }

            if (rule.When is null && rule.EndsRequest)
            {
                endsEveryRequest ??= i;
            }
        }
    }

    /// <summary>A match the rest of the spec keeps from ever holding is a mistake.</summary>
    private void CheckReachable(Problems at, Match match) => match.CheckReachable(at, _spec);

    private void ResponseHeaders()
    {
        for (var i = 0; i < _spec.ResponseHeaders.Count; i++)
        {
            HeaderEdit.Check(_problems["ResponseHeaders"][i], _spec.ResponseHeaders[i]);
        }
    }

    private void Routes()
    {
        int? catchAll = null;
        for (var i = 0; i < _spec.Routes.Count; i++)
        {
            var route = _spec.Routes[i];
            var at = _problems["Routes"][i].Kind(route);
            if (catchAll is { } earlier)
            {
                at.Add($"can never match: Routes[{earlier}] has no condition and takes every request first; give that route a When, or move it to the end");
            }

            if (route is null)
            {
                at.Add("is null; remove it");
                continue;
            }

            var before = _problems.Count;
            route.Check(at, _context);
            if (route.Condition is not null)
            {
                Match.CheckOne(at["When"], route.Condition);
                CheckReachable(at["When"], route.Condition);
            }

            if (Lowerable(at, route.Condition, before))
            {
                Lines(at, _planner.Lower(route));
            }

            if (route.TakesEveryRequest)
            {
                catchAll ??= i;
            }
        }
    }

    /// <summary>Whether a rule found fine so far can be lowered: its condition must not expand past HAProxy's reach.</summary>
    private bool Lowerable(Problems at, Match? when, int problemsBefore)
    {
        if (_problems.Count > problemsBefore)
        {
            return false; // Its values are wrong; its size would only add noise.
        }

        var terms = Condition.From(when).TermCount;
        at["When"].Require(
            terms <= Condition.MaxTerms,
            $"expands to {terms} alternatives (HAProxy conditions have no parentheses), more than {Condition.MaxTerms}; split the rule into several, or use a routing table");
        return terms <= Condition.MaxTerms;
    }

    /// <summary>Reports a rule whose lines, as the emitter writes them, hold more words than HAProxy reads.</summary>
    private static void Lines(Problems at, IReadOnlyList<Directive> lines)
    {
        var words = lines.Max(line => Cfg.Words(ConfigEmitter.Line(line)).Count);
        at.Require(words <= MaxWordsPerLine, $"makes a line of {words} words, more than the {MaxWordsPerLine} HAProxy reads; split the rule or shorten its lists");
    }

    private void Listeners()
    {
        var l = _spec.Listeners;
        var at = _problems["Listeners"];
        at["BindAddress"].Add(Syntax.BindAddress(l.BindAddress));

        // The NLB's health check and the bootstrap's probe both request this path.
        at["HealthPath"].Add(Syntax.SimplePath(l.HealthPath));
        var ports = new List<(string Name, int Port)> { ("HttpPort", l.HttpPort), ("HealthPort", l.HealthPort), ("AdminPort", l.AdminPort) };
        if (l.TlsOriginPort is { } tls)
        {
            ports.Insert(1, ("TlsOriginPort", tls));
        }

        if (l.Tls is { } node)
        {
            node.Check(at["Tls"]);
            ports.Insert(1, ("Tls.Port", node.Port));
        }

        foreach (var (name, port) in ports.Where(p => p.Name != "Tls.Port"))
        {
            at[name].Add(Syntax.Port(port));
        }

        foreach (var clash in ports.GroupBy(p => p.Port).Where(g => g.Count() > 1))
        {
            at[clash.Last().Name].Add($"{clash.Key} is also {string.Join(" and ", clash.SkipLast(1).Select(p => p.Name))}; every listener needs its own port");
        }
    }

    private void Settings()
    {
        var g = _spec.Global;
        var global = _problems["Global"];
        global["MaxConnections"].Add(Syntax.Range(g.MaxConnections, 1, 1_000_000));
        global["HardStopAfter"].Add(Syntax.Duration(g.HardStopAfter));
        global["MaxReloadsPerWorker"].Add(Syntax.Range(g.MaxReloadsPerWorker, 1, 100));
        global["RuntimeSocketPath"].Add(Syntax.AbsoluteFilePath(g.RuntimeSocketPath));
        global["ServerStateFile"].Add(Syntax.AbsoluteFilePath(g.ServerStateFile));
        global["LogTarget"].Add(Syntax.LogTarget(g.LogTarget));
        global["User"].Add(g.User is null ? null : Syntax.Slug(g.User));

        var d = _spec.Defaults;
        var defaults = _problems["Defaults"];
        defaults["ConnectTimeout"].Add(Syntax.Duration(d.ConnectTimeout));
        defaults["ClientTimeout"].Add(Syntax.Duration(d.ClientTimeout));
        defaults["ServerTimeout"].Add(Syntax.Duration(d.ServerTimeout));
        defaults["HttpRequestTimeout"].Add(Syntax.Duration(d.HttpRequestTimeout));
        defaults["HttpKeepAliveTimeout"].Add(Syntax.Duration(d.HttpKeepAliveTimeout));
        defaults["QueueTimeout"].Add(Syntax.Duration(d.QueueTimeout));
        defaults["TunnelTimeout"].Add(Syntax.Duration(d.TunnelTimeout));
        Syntax.KeepAlive(defaults["TcpKeepAlive"], d.TcpKeepAlive);
        defaults["Retries"].Add(Syntax.Range(d.Retries, 0, 100));
        defaults["RetryOn"].Add(Syntax.RetryOn(d.RetryOn));
        defaults["HttpReuse"].Require(Enum.IsDefined(d.HttpReuse), $"{d.HttpReuse} is not an HttpReuse value");
        defaults["RequestIdHeader"].Add(d.RequestIdHeader is null ? null : Syntax.HeaderName(d.RequestIdHeader));
        Syntax.Cidrs(defaults["TrustedProxies"], d.TrustedProxies, allowEmpty: true);
        foreach (var field in d.AccessLogFields.Distinct())
        {
            defaults["AccessLogFields"].Require(Enum.IsDefined(field), $"{field} is not an AccessLogField value");
            defaults["AccessLogFields"].Require(d.AccessLogFields.Count(f => f == field) == 1, $"lists {field} twice; list each field once");
        }

        if (_spec.UsesDns)
        {
            var resolvers = _problems["Resolvers"];
            resolvers["Nameservers"].Require(!_spec.Resolvers.Nameservers.IsEmpty, "is empty, but a pool uses DNS names; give at least one address:port");
            for (var i = 0; i < _spec.Resolvers.Nameservers.Count; i++)
            {
                resolvers["Nameservers"][i].Add(Syntax.Endpoint(_spec.Resolvers.Nameservers[i]));
            }

            resolvers["HoldValid"].Add(Syntax.Duration(_spec.Resolvers.HoldValid));
        }
    }
}
