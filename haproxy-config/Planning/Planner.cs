using System.Text;

namespace HaproxyCluster.Config;

/// <summary>
/// The lowering step: turns a valid spec into a <see cref="ConfigPlan"/>. Each rule and route
/// lowers itself; this class holds what they share (stick counters, files) and puts the
/// frontend's lines in the order HAProxy must run them.
/// </summary>
internal sealed class Planner(HaproxySpec spec, string configDirectory)
{
    /// <summary>HAProxy 2.6 has three sticky counters per request (sc0 to sc2); 3.0 can raise that, 2.6 cannot.</summary>
    public const int MaxStickCounters = 3;

    private readonly SortedDictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly List<StickTablePlan> _stickTables = [];

    /// <summary>Stick counters given out so far.</summary>
    public int StickCounters => _stickTables.Count;

    /// <summary>Lowers the whole of <paramref name="spec"/>, which must be valid.</summary>
    public static ConfigPlan Plan(HaproxySpec spec, string configDirectory)
    {
        var planner = new Planner(spec, configDirectory);
        var frontend = planner.Frontend();
        return new ConfigPlan(
            spec,
            frontend,
            spec.Pools.OrderBy(p => p.Name, StringComparer.Ordinal).Select(Backend).ToValueList(),
            planner._stickTables.OrderBy(t => t.Name, StringComparer.Ordinal).ToValueList(),
            planner._files.Select(f => new BundleFile(f.Key, f.Value)).ToValueList(),
            spec.UsesDns);
    }

    /// <summary>The lines of <paramref name="rule"/>.</summary>
    public IReadOnlyList<Directive> Lower(RequestRule rule) => rule.Lower(this, Condition.From(rule.When));

    /// <summary>The lines of <paramref name="route"/>.</summary>
    public IReadOnlyList<Directive> Lower(Route route) => route.Lower(this);

    /// <summary>Gives <paramref name="limit"/> the next stick counter and its own table.</summary>
    public (int Counter, string Table) Track(RateLimitRule limit)
    {
        var table = new StickTablePlan("st_" + limit.Name, limit.Period);
        _stickTables.Add(table);
        return (_stickTables.Count - 1, table.Name);
    }

    /// <summary>Adds a file to the bundle; returns the path the config reads it from.</summary>
    public string AddFile(string path, string content)
    {
        _files[path] = content;
        return $"{configDirectory}/{path}";
    }

    /// <summary>Adds a map file of <paramref name="rows"/>, in the order given; returns its path.</summary>
    public string AddMap(string path, IEnumerable<(string Key, string Pool)> rows)
    {
        var text = new StringBuilder();
        foreach (var (key, pool) in rows)
        {
            text.Append(key).Append(' ').Append(pool).Append('\n');
        }

        return AddFile(path, text.ToString());
    }

    private ValueList<Directive> Frontend()
    {
        var lines = new List<Directive>();
        if (spec.Listeners.TlsOriginPort is not null)
        {
            var overTls = Condition.Always.And(Acl.CameOverTls);
            lines.Add(new HeaderDirective(OnResponse: false, HeaderEdit.Set("X-Forwarded-Proto", "https"), overTls));
            lines.Add(new HeaderDirective(OnResponse: false, HeaderEdit.Set("X-Forwarded-Proto", "http"), Condition.Always.And("!" + Acl.CameOverTls)));
        }
        else
        {
            lines.Add(new HeaderDirective(OnResponse: false, HeaderEdit.Set("X-Forwarded-Proto", "http"), Condition.Always));
        }

        lines.AddRange(spec.RequestRules.SelectMany(Lower));
        if (spec.Defaults.RetriesSentRequests)
        {
            // A server that died after it got a POST may have acted on it: only idempotent requests
            // are sent again, and only they pay for the copy HAProxy keeps for that.
            lines.Add(new DisableL7RetryDirective(Condition.Always.And("!" + Acl.IdempotentMethod)));
        }

        lines.AddRange(spec.ResponseHeaders.Select(edit => new HeaderDirective(OnResponse: true, edit, Condition.Always)));
        lines.AddRange(spec.Routes.SelectMany(Lower));
        return lines.ToValueList();
    }

    private static BackendPlan Backend(Pool pool) =>
        new(pool, pool.NamedServers().Select(s => new ServerPlan(s.Name, s.Server.Address, s.Server.Port, s.Server.IsDnsName)).ToValueList());
}
