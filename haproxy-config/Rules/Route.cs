namespace HaproxyCluster.Config;

/// <summary>
/// Picks the pool for a request. Routes are tried in list order; the first that matches wins.
/// Build them with the factory methods.
/// </summary>
/// <remarks>
/// Each kind is the one home of what it means: its checks (<see cref="Check"/>) and the
/// directives it lowers to (<see cref="Lower"/>). Adding a kind touches this file only.
/// </remarks>
public abstract record Route
{
    /// <summary>The requests the route takes; null for every request (tables take what their keys match).</summary>
    internal abstract Match? Condition { get; }

    /// <summary>Whether the route takes every request, so no later route could match.</summary>
    internal virtual bool TakesEveryRequest => Condition is null;

    /// <summary>Checks the route's values, not its <see cref="Condition"/> (the validator checks that for every kind).</summary>
    internal abstract void Check(Problems at, SpecContext spec);

    /// <summary>The <c>use_backend</c> lines this route becomes.</summary>
    internal abstract IReadOnlyList<Directive> Lower(Planner planner);

    /// <summary>Requests that match <paramref name="when"/> go to <paramref name="pool"/>.</summary>
    public static Route To(string pool, Match when) => new PoolRoute(pool, when);

    /// <summary>
    /// Requests that match <paramref name="when"/> (all when null) are split between pools in
    /// proportion to their weights, for canary and blue-green releases.
    /// </summary>
    public static Route Split(Match? when, params WeightedPool[] pools) => new SplitRoute(pools.ToValueList(), when);

    /// <summary>
    /// A host → pool table, looked up in an HAProxy map, so 10,000 hosts cost about what 10 do.
    /// Keys are exact host names, or <c>*.example.com</c> for any subdomain; an exact key wins
    /// over a wildcard, and a longer wildcard over a shorter one.
    /// </summary>
    public static Route HostTable(string name, params TableEntry[] entries) => new HostTableRoute(name, entries.ToValueList());

    /// <summary>A path-prefix → pool table in an HAProxy map; the longest matching prefix wins.</summary>
    public static Route PathPrefixTable(string name, params TableEntry[] entries) => new PathPrefixTableRoute(name, entries.ToValueList());
}

/// <summary>A condition → pool route.</summary>
public sealed record PoolRoute(string Pool, Match? When) : Route
{
    internal override Match? Condition => When;

    internal override void Check(Problems at, SpecContext spec) => spec.PoolReference(at["Pool"], Pool);

    internal override IReadOnlyList<Directive> Lower(Planner planner) => [new UseBackendDirective(Pool, Config.Condition.From(When))];
}

/// <summary>A weighted split between pools.</summary>
public sealed record SplitRoute(ValueList<WeightedPool> Pools, Match? When) : Route
{
    internal override Match? Condition => When;

    internal override void Check(Problems at, SpecContext spec)
    {
        at["Pools"].Require(
            Pools.Count >= 2 && Pools.Any(p => p.Weight > 0),
            $"has {Pools.Count} pools, {Pools.Count(p => p.Weight > 0)} with weight; a split needs at least two pools and one weight above 0");
        for (var p = 0; p < Pools.Count; p++)
        {
            spec.PoolReference(at["Pools"][p]["Pool"], Pools[p].Pool);
            at["Pools"][p]["Weight"].Add(Syntax.Range(Pools[p].Weight, 0, 1000));
        }
    }

    /// <summary>Each line takes its share of what the lines before it left: rand(remaining) &lt; weight.</summary>
    internal override IReadOnlyList<Directive> Lower(Planner planner)
    {
        var pools = Pools.Where(p => p.Weight > 0).ToList();
        var remaining = pools.Sum(p => p.Weight);
        var when = Config.Condition.From(When);
        var lines = new List<Directive>();
        for (var i = 0; i < pools.Count; i++)
        {
            var share = i == pools.Count - 1 ? when : when.And(Cfg.Invariant($"{{ rand({remaining}) lt {pools[i].Weight} }}"));
            lines.Add(new UseBackendDirective(pools[i].Pool, share));
            remaining -= pools[i].Weight;
        }

        return lines;
    }
}

/// <summary>A host table, rendered as map files.</summary>
/// <param name="Name">Names the map files: lower-case letters, digits, '_' or '-'.</param>
/// <param name="Entries">Host (or <c>*.suffix</c>) → pool rows.</param>
public sealed record HostTableRoute(string Name, ValueList<TableEntry> Entries) : Route
{
    internal override Match? Condition => null;

    internal override bool TakesEveryRequest => false;

    internal override void Check(Problems at, SpecContext spec) =>
        TableEntry.CheckTable(at, Name, Entries, spec, key => IsWildcard(key) ? Syntax.HostSuffix(key) : Syntax.Hostname(key), Key);

    /// <summary>
    /// Exact hosts through <c>map</c>; wildcards through <c>map_end</c>, which scans in file order,
    /// so longer suffixes come first and win.
    /// </summary>
    internal override IReadOnlyList<Directive> Lower(Planner planner)
    {
        var exact = Entries.Where(e => !IsWildcard(e.Key)).Select(e => (Key: Key(e.Key), e.Pool))
            .OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        var wildcard = Entries.Where(e => IsWildcard(e.Key)).Select(e => (Key: Key(e.Key), e.Pool))
            .OrderByDescending(e => e.Key.Length).ThenBy(e => e.Key, StringComparer.Ordinal).ToList();
        var lines = new List<Directive>();
        if (exact.Count > 0)
        {
            lines.Add(new MapLookupDirective(Acl.HostFetch, "map", planner.AddMap($"maps/{Name}.map", exact)));
        }

        if (wildcard.Count > 0)
        {
            lines.Add(new MapLookupDirective(Acl.HostFetch, "map_end", planner.AddMap($"maps/{Name}.suffix.map", wildcard)));
        }

        return lines;
    }

    private static bool IsWildcard(string? key) => key is not null && (key.StartsWith('*') || key.StartsWith('.'));

    /// <summary>The key as the map holds it: lower case; a wildcard as its suffix (<c>.example.com</c>).</summary>
    private static string Key(string key) => IsWildcard(key) ? Acl.HostSuffixKey(key) : key.ToLowerInvariant();
}

/// <summary>A path-prefix table, rendered as a map file.</summary>
/// <param name="Name">Names the map file: lower-case letters, digits, '_' or '-'.</param>
/// <param name="Entries">Path prefix → pool rows.</param>
public sealed record PathPrefixTableRoute(string Name, ValueList<TableEntry> Entries) : Route
{
    internal override Match? Condition => null;

    internal override bool TakesEveryRequest => false;

    internal override void Check(Problems at, SpecContext spec) =>
        TableEntry.CheckTable(at, Name, Entries, spec, key => Syntax.Path(key) ?? (spec.Spec.Defaults?.RejectNonNormalPaths ?? false ? NormalPath.Prefix(key) : null), key => key);

    /// <summary><c>map_beg</c> scans in file order, so the longest prefix comes first and wins.</summary>
    internal override IReadOnlyList<Directive> Lower(Planner planner) =>
    [
        new MapLookupDirective("path", "map_beg", planner.AddMap(
            $"maps/{Name}.map",
            [.. Entries.Select(e => (e.Key, e.Pool)).OrderByDescending(e => e.Key.Length).ThenBy(e => e.Key, StringComparer.Ordinal)])),
    ];
}

/// <summary>One pool of a split, and its share.</summary>
/// <param name="Pool">The pool's name.</param>
/// <param name="Weight">Its share, 0 to 1000, relative to the other pools of the split.</param>
public sealed record WeightedPool(string Pool, int Weight);

/// <summary>One row of a routing table.</summary>
/// <param name="Key">A host (or <c>*.suffix</c>) or a path prefix.</param>
/// <param name="Pool">The pool it routes to.</param>
public sealed record TableEntry(string Key, string Pool)
{
    /// <summary>Checks a table's name and rows; <paramref name="key"/> gives the form two keys clash in.</summary>
    internal static void CheckTable(Problems at, string name, ValueList<TableEntry> entries, SpecContext spec, Func<string, string?> checkKey, Func<string, string> key)
    {
        at["Name"].Add(Syntax.Slug(name));
        spec.Unique(at["Name"], "routing table", name);
        at["Entries"].Require(!entries.IsEmpty, "is empty; give at least one entry, or remove the table");
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var e = 0; e < entries.Count; e++)
        {
            var entry = at["Entries"][e];
            if (entries[e] is null)
            {
                entry.Add("is null; remove it");
                continue;
            }

            var problem = checkKey(entries[e].Key);
            entry["Key"].Add(problem);
            if (problem is null && !keys.Add(key(entries[e].Key)))
            {
                entry["Key"].Add($"'{entries[e].Key}' is in the table twice; each key may route to one pool only");
            }

            spec.PoolReference(entry["Pool"], entries[e].Pool);
        }
    }
}
