namespace HaproxyCluster.Config;

/// <summary>
/// A condition in the form HAProxy reads after <c>if</c>: terms joined by <c>||</c>, each term a
/// list of ACLs that must all hold. HAProxy has no parentheses, so any <see cref="Match"/> tree is
/// brought to this form (disjunctive normal form) first.
/// </summary>
internal sealed class Condition
{
    /// <summary>Most terms a condition may expand to; past that a rule should be split.</summary>
    public const int MaxTerms = 16;

    private readonly IReadOnlyList<IReadOnlyList<string>> _terms;

    private Condition(IReadOnlyList<IReadOnlyList<string>> terms) => _terms = terms;

    /// <summary>Holds for every request.</summary>
    public static Condition Always { get; } = new([[]]);

    public int TermCount => _terms.Count;

    public bool IsAlways => _terms.Count == 1 && _terms[0].Count == 0;

    /// <summary>Words the condition adds to a line, which HAProxy caps at 64.</summary>
    public int WordCount => _terms.Sum(t => t.Sum(acl => acl.Split(' ').Length)) + _terms.Count - 1;

    public static Condition From(Match? match) => match is null ? Always : new(Terms(match, negate: false));

    /// <summary>This condition and <paramref name="acl"/>, a rendered ACL such as <c>{ src 10.0.0.0/8 }</c>.</summary>
    public Condition And(string acl) => new(_terms.Select(t => t.Contains(acl) ? t : (IReadOnlyList<string>)[.. t, acl]).ToList());

    /// <summary>This condition and <paramref name="other"/>.</summary>
    public Condition And(Condition other) =>
        new(_terms.SelectMany(left => other._terms.Select(right => (IReadOnlyList<string>)[.. left, .. right])).ToList());

    /// <summary><c> if …</c>, or nothing for a condition that always holds.</summary>
    public string Suffix => IsAlways ? "" : " if " + string.Join(" || ", _terms.Select(t => string.Join(' ', t)));

    // De Morgan pushes each negation down to a single ACL, which HAProxy negates with '!'.
    private static List<IReadOnlyList<string>> Terms(Match match, bool negate) => match switch
    {
        NotMatch not => Terms(not.Inner, !negate),
        AllOf all => negate ? Union(all.Matches, negate) : Product(all.Matches, negate),
        AnyOf any => negate ? Product(any.Matches, negate) : Union(any.Matches, negate),
        _ => [[(negate ? "!" : "") + Acl.For(match)]],
    };

    private static List<IReadOnlyList<string>> Union(IEnumerable<Match> matches, bool negate) =>
        matches.SelectMany(m => Terms(m, negate)).ToList();

    private static List<IReadOnlyList<string>> Product(IEnumerable<Match> matches, bool negate)
    {
        List<IReadOnlyList<string>> result = [[]];
        foreach (var match in matches)
        {
            var terms = Terms(match, negate);
            result = result.SelectMany(left => terms.Select(right => (IReadOnlyList<string>)[.. left, .. right])).ToList();
            if (result.Count > MaxTerms * 4)
            {
                break; // Already too complex; the validator reports it.
            }
        }

        return result;
    }
}
