namespace HaproxyCluster.Config;

/// <summary>
/// Picks the pool for a request. Routes are tried in list order; the first that matches wins.
/// Build them with the factory methods.
/// </summary>
public abstract record Route
{
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
public sealed record PoolRoute(string Pool, Match? When) : Route;

/// <summary>A weighted split between pools.</summary>
public sealed record SplitRoute(ValueList<WeightedPool> Pools, Match? When) : Route;

/// <summary>A host table, rendered as map files.</summary>
/// <param name="Name">Names the map files: lower-case letters, digits, '_' or '-'.</param>
/// <param name="Entries">Host (or <c>*.suffix</c>) → pool rows.</param>
public sealed record HostTableRoute(string Name, ValueList<TableEntry> Entries) : Route;

/// <summary>A path-prefix table, rendered as a map file.</summary>
/// <param name="Name">Names the map file: lower-case letters, digits, '_' or '-'.</param>
/// <param name="Entries">Path prefix → pool rows.</param>
public sealed record PathPrefixTableRoute(string Name, ValueList<TableEntry> Entries) : Route;

/// <summary>One pool of a split, and its share.</summary>
/// <param name="Pool">The pool's name.</param>
/// <param name="Weight">Its share, 0 to 1000, relative to the other pools of the split.</param>
public sealed record WeightedPool(string Pool, int Weight);

/// <summary>One row of a routing table.</summary>
/// <param name="Key">A host (or <c>*.suffix</c>) or a path prefix.</param>
/// <param name="Pool">The pool it routes to.</param>
public sealed record TableEntry(string Key, string Pool);
