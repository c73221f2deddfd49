namespace HaproxyCluster.Config;

/// <summary>
/// A condition in disjunctive normal form, as HAProxy reads it after <c>if</c>: terms joined by
/// <c>||</c>, each term a list of ACLs that must all hold. Each <see cref="Match"/> gives its own
/// <see cref="Terms"/>; this type combines and writes them.
/// </summary>
internal sealed class Condition
{
    /// <summary>Most terms a condition may expand to; past that a rule should be split.</summary>
    public const int MaxTerms = 16;

    private readonly Terms _terms;

    private Condition(Terms terms) => _terms = terms;

    /// <summary>Holds for every request.</summary>
    public static Condition Always { get; } = new([[]]);

    public int TermCount => _terms.Count;

    public bool IsAlways => _terms.Count == 1 && _terms[0].Count == 0;

    public static Condition From(Match? match) => match is null ? Always : new(match.Terms(negate: false));

    /// <summary>This condition and <paramref name="acl"/>, a written ACL such as <c>{ src 10.0.0.0/8 }</c>.</summary>
    public Condition And(string acl) => new([.. _terms.Select(t => t.Contains(acl) ? t : (IReadOnlyList<string>)[.. t, acl])]);

    /// <summary><c> if …</c>, or nothing for a condition that always holds.</summary>
    public string Suffix => IsAlways ? "" : " if " + string.Join(" || ", _terms.Select(t => string.Join(' ', t)));
}

/// <summary>The terms of a condition: alternatives, each a list of ACLs that must all hold.</summary>
internal sealed class Terms : List<IReadOnlyList<string>>
{
    /// <summary>Any of <paramref name="matches"/>: their terms side by side.</summary>
    public static Terms Union(IEnumerable<Match> matches, bool negate) => [.. matches.SelectMany(m => m.Terms(negate))];

    /// <summary>All of <paramref name="matches"/>: every combination of one term from each.</summary>
    public static Terms Product(IEnumerable<Match> matches, bool negate)
    {
        Terms result = [[]];
        foreach (var match in matches)
        {
            var terms = match.Terms(negate);
            result = [.. result.SelectMany(left => terms.Select(right => (IReadOnlyList<string>)[.. left, .. right]))];
            if (result.Count > Condition.MaxTerms * 4)
            {
                break; // Already too complex; the validator reports it.
            }
        }

        return result;
    }
}
