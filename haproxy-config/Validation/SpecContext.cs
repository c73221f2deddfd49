namespace HaproxyCluster.Config;

/// <summary>What the checks of one rule or route need to know about the rest of the spec.</summary>
internal sealed class SpecContext(HaproxySpec spec)
{
    private readonly SortedSet<string> _pools = new(spec.Pools.Select(p => p?.Name).OfType<string>(), StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _names = [];

    /// <summary>The spec being checked.</summary>
    public HaproxySpec Spec => spec;

    /// <summary>Reports <paramref name="pool"/> when no pool has that name.</summary>
    public void PoolReference(Problems at, string? pool)
    {
        if (pool is null || !_pools.Contains(pool))
        {
            var known = _pools.Count == 0 ? "none is defined" : "known pools: " + string.Join(", ", _pools);
            at.Add($"{Syntax.Show(pool)} is not a pool; {known}");
        }
    }

    /// <summary>Reports <paramref name="name"/> when an earlier item of the same <paramref name="kind"/> has it.</summary>
    public void Unique(Problems at, string kind, string? name)
    {
        if (name is null)
        {
            return;
        }

        if (!_names.TryGetValue(kind, out var seen))
        {
            _names[kind] = seen = new HashSet<string>(StringComparer.Ordinal);
        }

        at.Require(seen.Add(name), $"'{name}' names an earlier {kind} too; names must be unique");
    }
}
