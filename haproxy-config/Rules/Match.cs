namespace HaproxyCluster.Config;

/// <summary>
/// A condition on a request. Build one with the factory methods and combine them with
/// <c>&amp;</c>, <c>|</c> and <c>!</c>:
/// <code>Match.Host("api.example.com") &amp; !Match.Source("10.0.0.0/8")</code>
/// </summary>
public abstract record Match
{
    /// <summary>The Host header, without port, equals <paramref name="host"/> (case-insensitive).</summary>
    public static Match Host(string host) => new HostIs(host);

    /// <summary>
    /// The Host header ends with <paramref name="suffix"/>: <c>*.example.com</c> or <c>.example.com</c>
    /// match <c>www.example.com</c> but not <c>example.com</c>.
    /// </summary>
    public static Match HostSuffix(string suffix) => new HostEndsWith(suffix);

    /// <summary>The path equals <paramref name="path"/>.</summary>
    public static Match Path(string path) => new PathIs(path);

    /// <summary>The path starts with <paramref name="prefix"/>.</summary>
    public static Match PathPrefix(string prefix) => new PathStartsWith(prefix);

    /// <summary>The path matches the PCRE <paramref name="pattern"/>.</summary>
    public static Match PathRegex(string pattern) => new PathMatches(pattern);

    /// <summary>The method is one of <paramref name="methods"/>.</summary>
    public static Match Method(params string[] methods) => new MethodIs(methods.ToValueList());

    /// <summary>The request carries header <paramref name="name"/>.</summary>
    public static Match HeaderPresent(string name) => new HeaderPresentMatch(name);

    /// <summary>Header <paramref name="name"/> equals <paramref name="value"/>.</summary>
    public static Match Header(string name, string value) => new HeaderIs(name, value);

    /// <summary>Header <paramref name="name"/> matches the PCRE <paramref name="pattern"/>.</summary>
    public static Match HeaderRegex(string name, string pattern) => new HeaderMatches(name, pattern);

    /// <summary>
    /// A gRPC call: its <c>Content-Type</c> is <c>application/grpc</c>, alone or with a subtype
    /// (<c>application/grpc+proto</c>) or parameters. Route it to a pool whose
    /// <see cref="Pool.Protocol"/> is HTTP/2.
    /// </summary>
    public static Match Grpc() => HeaderRegex("Content-Type", "^application/grpc([+;]|$)");

    /// <summary>
    /// The query string has parameter <paramref name="name"/> (<c>?name</c>, <c>?name=</c> or
    /// <c>?name=anything</c>), or, when <paramref name="value"/> is given, has it equal to that value
    /// (the first occurrence, compared as sent: no percent-decoding).
    /// </summary>
    public static Match QueryParam(string name, string? value = null) => new QueryParamIs(name, value);

    /// <summary>
    /// The client address is in one of <paramref name="cidrs"/>. Behind the NLB this is the address
    /// PROXY protocol carries, not the NLB's.
    /// </summary>
    public static Match Source(params string[] cidrs) => new SourceIn(cidrs.ToValueList());

    /// <summary>
    /// The request came over the node's TLS bind with a client certificate that verified against
    /// <see cref="ClientCertificates.CaBundlePem"/>. With <see cref="ClientCertificateMode.Optional"/>,
    /// this lets a rule decide: <c>Rule.Deny(Match.PathPrefix("/partners/") &amp; !Match.ClientCertificate(), status: 401)</c>.
    /// </summary>
    public static Match ClientCertificate() => new ClientCertificateIs(null, null);

    /// <summary>
    /// A verified client certificate (<see cref="ClientCertificate"/>) whose subject, in RFC 2253 form
    /// (most specific first, as <see cref="ClientCertificates.SubjectHeader"/> carries it), equals
    /// <paramref name="subject"/>: <c>CN=alice,O=Example</c>.
    /// </summary>
    public static Match ClientCertificateSubject(string subject) => new ClientCertificateIs(subject, null);

    /// <summary>
    /// A verified client certificate (<see cref="ClientCertificate"/>) whose SHA-256 fingerprint is
    /// <paramref name="sha256"/>: 64 hex digits, with or without colons, as
    /// <c>openssl x509 -noout -fingerprint -sha256</c> prints it. Pins one certificate.
    /// </summary>
    public static Match ClientCertificateSha256(string sha256) => new ClientCertificateIs(null, sha256);

    /// <summary>Both conditions hold.</summary>
    public static Match operator &(Match left, Match right) => new AllOf([.. Flatten<AllOf>(left), .. Flatten<AllOf>(right)]);

    /// <summary>Either condition holds.</summary>
    public static Match operator |(Match left, Match right) => new AnyOf([.. Flatten<AnyOf>(left), .. Flatten<AnyOf>(right)]);

    /// <summary>The condition does not hold.</summary>
    public static Match operator !(Match match) => match is NotMatch not ? not.Inner : new NotMatch(match);

    /// <summary>Same as <c>&amp;</c>, for languages without operator overloading.</summary>
    public Match And(Match other) => this & other;

    /// <summary>Same as <c>|</c>.</summary>
    public Match Or(Match other) => this | other;

    /// <summary>Same as <c>!</c>.</summary>
    public Match Negate() => !this;

    /// <summary>Checks this match's own values.</summary>
    internal abstract void Check(Problems at);

    /// <summary>
    /// Reports what the rest of the spec makes this match unable to hold: a path that
    /// <see cref="DefaultSettings.RejectNonNormalPaths"/> answers 400 first (<see cref="NormalPath"/>),
    /// a client certificate no bind asks for.
    /// </summary>
    internal virtual void CheckReachable(Problems at, HaproxySpec spec)
    {
    }

    /// <summary>
    /// This match in disjunctive normal form: terms joined by <c>||</c>, each a list of ACLs that
    /// must all hold (HAProxy conditions have no parentheses). <paramref name="negate"/> asks for
    /// the form of <c>!this</c>; De Morgan pushes it down to single ACLs, which HAProxy negates with '!'.
    /// </summary>
    internal abstract Terms Terms(bool negate);

    /// <summary>The terms of one ACL: a single term holding it, negated when asked.</summary>
    private protected static Terms Single(string acl, bool negate) => Every(["{ " + acl + " }"], negate);

    /// <summary>The terms of written ACLs that must all hold: one term, or, negated, one term for each ACL that fails.</summary>
    private protected static Terms Every(IReadOnlyList<string> acls, bool negate) =>
        negate ? [.. acls.Select(acl => (IReadOnlyList<string>)["!" + acl])] : [acls];

    /// <summary>Checks <paramref name="match"/>, which the user may have left null.</summary>
    internal static void CheckOne(Problems at, Match? match)
    {
        if (match is null)
        {
            at.Add("is null; leave When null on the rule instead");
            return;
        }

        match.Check(at);
    }

    private protected static void CheckEachReachable(Problems at, HaproxySpec spec, ValueList<Match> matches)
    {
        for (var i = 0; i < matches.Count; i++)
        {
            matches[i]?.CheckReachable(at["Matches"][i], spec);
        }
    }

    /// <summary>Whether the spec answers non-normal paths 400 before any rule (<see cref="DefaultSettings.RejectNonNormalPaths"/>).</summary>
    private protected static bool RejectsNonNormal(HaproxySpec spec) => spec.Defaults?.RejectNonNormalPaths ?? false;

    private protected static void CheckEach(Problems at, ValueList<Match> matches)
    {
        at.Require(!matches.IsEmpty, "combines no condition; give at least one");
        for (var i = 0; i < matches.Count; i++)
        {
            CheckOne(at["Matches"][i], matches[i]);
        }
    }

    // a & b & c builds one AllOf of three, not nested pairs, so rendered conditions stay flat.
    private static ValueList<Match> Flatten<TGroup>(Match match)
        where TGroup : Match => match switch
        {
            AllOf all when typeof(TGroup) == typeof(AllOf) => all.Matches,
            AnyOf any when typeof(TGroup) == typeof(AnyOf) => any.Matches,
            _ => [match],
        };
}

/// <summary>Host header equals a name.</summary>
public sealed record HostIs(string Name) : Match
{
    internal override void Check(Problems at) => at["Name"].Add(Syntax.Hostname(Name));

    internal override Terms Terms(bool negate) => Single($"{Acl.HostFetch} -m str {Cfg.Pattern(Name.ToLowerInvariant())}", negate);
}

/// <summary>Host header ends with a suffix.</summary>
public sealed record HostEndsWith(string Suffix) : Match
{
    internal override void Check(Problems at) => at["Suffix"].Add(Syntax.HostSuffix(Suffix));

    internal override Terms Terms(bool negate) => Single($"{Acl.HostFetch} -m end {Cfg.Pattern(Acl.HostSuffixKey(Suffix))}", negate);
}

/// <summary>Path equals a value.</summary>
public sealed record PathIs(string Value) : Match
{
    internal override void Check(Problems at) => at["Value"].Add(Syntax.Path(Value));

    internal override void CheckReachable(Problems at, HaproxySpec spec) => at["Value"].Add(RejectsNonNormal(spec) && Syntax.Path(Value) is null ? NormalPath.Exact(Value) : null);

    internal override Terms Terms(bool negate) => Single($"path -m str {Cfg.Pattern(Value)}", negate);
}

/// <summary>Path starts with a prefix.</summary>
public sealed record PathStartsWith(string Prefix) : Match
{
    internal override void Check(Problems at) => at["Prefix"].Add(Syntax.Path(Prefix));

    internal override void CheckReachable(Problems at, HaproxySpec spec) => at["Prefix"].Add(RejectsNonNormal(spec) && Syntax.Path(Prefix) is null ? NormalPath.Prefix(Prefix) : null);

    internal override Terms Terms(bool negate) => Single($"path -m beg {Cfg.Pattern(Prefix)}", negate);
}

/// <summary>Path matches a regex.</summary>
public sealed record PathMatches(string Pattern) : Match
{
    internal override void Check(Problems at) => at["Pattern"].Add(Syntax.Regex(Pattern) ?? Syntax.AclPattern(Pattern));

    internal override Terms Terms(bool negate) => Single($"path -m reg {Cfg.Pattern(Pattern)}", negate);
}

/// <summary>Method is one of a list.</summary>
public sealed record MethodIs(ValueList<string> Methods) : Match
{
    internal override void Check(Problems at)
    {
        at["Methods"].Require(!Methods.IsEmpty, "is empty; give at least one method");
        for (var i = 0; i < Methods.Count; i++)
        {
            at["Methods"][i].Add(Syntax.Method(Methods[i]));
        }
    }

    internal override Terms Terms(bool negate) => Single($"method {string.Join(' ', Methods)}", negate);
}

/// <summary>A header is present.</summary>
public sealed record HeaderPresentMatch(string Name) : Match
{
    internal override void Check(Problems at) => at["Name"].Add(Syntax.HeaderName(Name));

    internal override Terms Terms(bool negate) => Single($"req.hdr({Name}) -m found", negate);
}

/// <summary>A header equals a value.</summary>
public sealed record HeaderIs(string Name, string Value) : Match
{
    internal override void Check(Problems at)
    {
        at["Name"].Add(Syntax.HeaderName(Name));
        at["Value"].Add(Syntax.MatchedHeaderValue(Value) ?? Syntax.AclPattern(Value));
    }

    internal override Terms Terms(bool negate) => Single($"req.fhdr({Name}) -m str {Cfg.Pattern(Value)}", negate);
}

/// <summary>A header matches a regex.</summary>
public sealed record HeaderMatches(string Name, string Pattern) : Match
{
    internal override void Check(Problems at)
    {
        at["Name"].Add(Syntax.HeaderName(Name));
        at["Pattern"].Add(Syntax.Regex(Pattern) ?? Syntax.AclPattern(Pattern));
    }

    internal override Terms Terms(bool negate) => Single($"req.fhdr({Name}) -m reg {Cfg.Pattern(Pattern)}", negate);
}

/// <summary>A query parameter is present, or equals a value.</summary>
public sealed record QueryParamIs(string Name, string? Value) : Match
{
    internal override void Check(Problems at)
    {
        at["Name"].Add(Syntax.QueryName(Name));
        at["Value"].Add(Value is null ? null : Syntax.QueryValue(Value) ?? Syntax.AclPattern(Value));
    }

    /// <summary>
    /// Without a value, the parameter is present with or without '=' (<c>?flag</c>, <c>?flag=</c>,
    /// <c>?flag=1</c>); HAProxy's url_param finds only the forms with '='.
    /// </summary>
    internal override Terms Terms(bool negate) =>
        Single(Value is null ? $"query -m reg {Cfg.Word($"(^|&){Name.Replace(".", "\\.", StringComparison.Ordinal)}(=|&|$)")}" : $"url_param({Name}) -m str {Cfg.Pattern(Value)}", negate);
}

/// <summary>The client address is in one of some CIDR blocks.</summary>
public sealed record SourceIn(ValueList<string> Cidrs) : Match
{
    internal override void Check(Problems at) => Syntax.Cidrs(at["Cidrs"], Cidrs);

    internal override Terms Terms(bool negate) => [[(negate ? "!" : "") + Acl.Source(Cidrs)]];
}

/// <summary>A verified client certificate came with the request, with a subject or fingerprint when given.</summary>
public sealed record ClientCertificateIs(string? Subject, string? Sha256) : Match
{
    internal override void Check(Problems at)
    {
        at["Subject"].Add(Subject is null ? null : Syntax.CertificateSubject(Subject));
        at["Sha256"].Add(Sha256 is null ? null : Syntax.Sha256Fingerprint(Sha256));
    }

    internal override void CheckReachable(Problems at, HaproxySpec spec) => at.Require(
        spec.Listeners?.Tls?.ClientCertificates is not null,
        "matches a client certificate, but no bind asks for one (Listeners.Tls.ClientCertificates is not set), so it can never hold; set ClientCertificates (NodeTls.ClientCertificates in the construct) or drop the match");

    /// <summary>Verified, then the subject and fingerprint compared as the identity headers carry them.</summary>
    internal override Terms Terms(bool negate) => Every(
        [
            .. Acl.VerifiedClientCertificate,
            .. Subject is null ? [] : new[] { $"{{ {Acl.ClientSubject} -m str {Cfg.Pattern(Subject)} }}" },
            .. Sha256 is null ? [] : new[] { $"{{ {Acl.ClientSha256} -m str {Syntax.Sha256Hex(Sha256)} }}" },
        ],
        negate);
}

/// <summary>Every condition holds.</summary>
public sealed record AllOf(ValueList<Match> Matches) : Match
{
    internal override void Check(Problems at) => CheckEach(at, Matches);

    internal override void CheckReachable(Problems at, HaproxySpec spec) => CheckEachReachable(at, spec, Matches);

    internal override Terms Terms(bool negate) => negate ? Config.Terms.Union(Matches, negate) : Config.Terms.Product(Matches, negate);
}

/// <summary>At least one condition holds.</summary>
public sealed record AnyOf(ValueList<Match> Matches) : Match
{
    internal override void Check(Problems at) => CheckEach(at, Matches);

    internal override void CheckReachable(Problems at, HaproxySpec spec) => CheckEachReachable(at, spec, Matches);

    internal override Terms Terms(bool negate) => negate ? Config.Terms.Product(Matches, negate) : Config.Terms.Union(Matches, negate);
}

/// <summary>The condition does not hold.</summary>
public sealed record NotMatch(Match Inner) : Match
{
    internal override void Check(Problems at) => CheckOne(at["Inner"], Inner);

    internal override void CheckReachable(Problems at, HaproxySpec spec) => Inner?.CheckReachable(at["Inner"], spec);

    internal override Terms Terms(bool negate) => Inner.Terms(!negate);
}
