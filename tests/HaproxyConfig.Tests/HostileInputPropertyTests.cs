using CsCheck;
using HaproxyCluster.Config.Tests.Support;
using Xunit.Abstractions;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// Over at least 1,000 generated rule sets, many holding hostile strings, each is either refused
/// by Validate() with messages, or rendered into a config that both HAProxy versions accept and
/// that holds exactly the directives its rules asked for. Set CsCheck_Seed to replay a failure.
/// </summary>
public class HostileInputPropertyTests(ITestOutputHelper output)
{
    private const int RuleSets = 1000;

    private static readonly string[] HostilePieces =
    [
        "\n", "\r\n", "\n    http-request deny", "'", "\"", "#", " ", "%", "%[src]", "$HOME", "${HOME}", "\\", "\\n",
        "é", "日本", "\u2028", "\t", "\0", "-", "{ ", " }", "||", "!", ";", "&", "\x7f", new string('a', 1100),
    ];

    private static readonly Gen<string> Label = Gen.OneOfConst("api", "www", "a1", "shop-eu", "x", "static");

    private static readonly Gen<string> Host = from a in Label from b in Label select $"{a}.{b}.example.com";

    private static readonly Gen<string> PathText = from a in Label from b in Gen.OneOfConst("", "/v2", "/a.b", "/x_y~z") select $"/{a}{b}";

    private static readonly Gen<string> Printable = Gen.String[Gen.Char[' ', '~'], 0, 40];

    private static readonly Gen<string> RegexText = Gen.OneOfConst("^/api/[0-9]+$", @"\.(css|js)$", "^/(a|b)/", "(?i)^/admin", "}", @"\d+\s*'#$", "[unclosed", "(?<=a+)b");

    private static readonly Gen<string> HeaderName = Gen.OneOfConst("X-Env", "X-Trace-Id", "Accept", "X_Under");

    private static readonly Gen<string> Cidr = Gen.OneOfConst("10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32", "198.51.100.7/32", "10.0.0.1/8");

    private static readonly Gen<string> PoolName = Gen.Frequency((9, Gen.OneOfConst("web", "api")), (1, Gen.Const("nope")));

    private static readonly Gen<string> Name = from a in Label from n in Gen.Int[0, 99] select $"{a}{n}";

    private static readonly Gen<Match> Leaf = Gen.OneOf(
        Hostile(Host).Select(Match.Host),
        Hostile(PathText).Select(Match.PathPrefix),
        Hostile(PathText).Select(Match.Path),
        Hostile(RegexText).Select(Match.PathRegex),
        from n in Hostile(HeaderName) from v in Hostile(Printable) select Match.Header(n, v),
        from n in Hostile(HeaderName) from v in Hostile(RegexText) select Match.HeaderRegex(n, v),
        from n in Hostile(Label) from v in Hostile(Label) select Match.QueryParam(n, v),
        Hostile(Cidr).Select(c => Match.Source(c)),
        Gen.OneOfConst("GET", "POST", "DELETE", "get").Select(m => Match.Method(m)));

    private static readonly Gen<Match> Condition = Gen.OneOf(
        Leaf,
        from a in Leaf from b in Leaf select a & b,
        from a in Leaf from b in Leaf select a | !b);

    private static readonly Gen<RequestRule> RequestRuleGen = Gen.OneOf(
        from n in Hostile(HeaderName) from v in Hostile(Printable) from w in Condition select Rule.SetHeader(n, v, w),
        from n in Hostile(HeaderName) from v in Hostile(Printable) select Rule.AddHeader(n, v),
        from n in Hostile(HeaderName) select Rule.DeleteHeader(n),
        from w in Condition from s in Gen.OneOfConst(403, 404, 429, 503, 418) select Rule.Deny(w, s),
        from c in Hostile(Cidr).Array[1, 3] select Rule.DenySources(c.ToValueList()),
        from c in Hostile(Cidr).Array[1, 3] from w in Condition select Rule.AllowOnlySources(c.ToValueList(), w),
        from n in Hostile(Name) from r in Gen.Int[1, 50] from s in Gen.Int[1, 60] select Rule.RateLimit(n, r, TimeSpan.FromSeconds(s)),
        from h in Hostile(Host) from w in Condition from s in Gen.OneOfConst(301, 302, 307, 308, 200) select Rule.Redirect(RedirectTarget.Host(h), w, s),
        from a in Hostile(PathText) from b in Hostile(PathText) from w in Condition select Rule.Redirect(RedirectTarget.ReplacePrefix(a + "/", b + "/"), w),
        from n in Hostile(Name)
        from body in Hostile(Printable)
        from t in Hostile(Gen.OneOfConst("text/plain", "text/html; charset=utf-8"))
        from w in Condition
        select Rule.Respond(new FixedResponse(n, 503, t, body), w));

    private static readonly Gen<Route> RouteGen = Gen.OneOf(
        from p in PoolName from w in Condition select Route.To(p, w),
        from w in Condition from a in Gen.Int[0, 100] from b in Gen.Int[0, 100] select Route.Split(w, new WeightedPool("web", a), new WeightedPool("api", b)),
        from n in Hostile(Name)
        from keys in Hostile(Host).Array[1, 4]
        from p in PoolName
        select Route.HostTable(n, keys.Select((k, i) => new TableEntry(i % 2 == 0 ? k : "*." + k, p)).ToArray()),
        from n in Hostile(Name)
        from keys in Hostile(PathText).Array[1, 4]
        from p in PoolName
        select Route.PathPrefixTable(n, keys.Select(k => new TableEntry(k, p)).ToArray()));

    private static readonly Gen<HaproxySpec> Specs =
        from rules in RequestRuleGen.Array[0, 4]
        from routes in RouteGen.Array[0, 3]
        from responses in (from n in Hostile(HeaderName) from v in Hostile(Printable) select HeaderEdit.Set(n, v)).Array[0, 2]
        select new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [new Server("127.0.0.1", 8080)] }, new Pool { Name = "api", Servers = [new Server("127.0.0.1", 8081)] }],
            DefaultPool = "web",
            RequestRules = rules.ToValueList(),
            Routes = routes.ToValueList(),
            ResponseHeaders = responses.ToValueList(),
            Global = new GlobalSettings { User = null },
        };

    [Fact]
    public void Every_rule_set_is_refused_with_messages_or_rendered_into_exactly_its_directives()
    {
        var scratch = Directory.CreateTempSubdirectory("haproxy-property-").FullName;
        var rendered = new List<string>();
        var refused = 0;
        try
        {
            Specs.Sample(spec =>
            {
                try
                {
                    spec.Validate();
                }
                catch (ConfigValidationException e)
                {
                    Assert.NotEmpty(e.Errors);
                    Assert.All(e.Errors, error => Assert.False(string.IsNullOrWhiteSpace(error.Property) || string.IsNullOrWhiteSpace(error.Message)));
                    refused++;
                    return;
                }

                var folder = Path.Combine(scratch, rendered.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var bundle = ConfigRenderer.Render(spec, folder);
                AssertHoldsExactlyItsDirectives(spec, bundle.Config);
                bundle.WriteTo(folder);
                rendered.Add(Path.Combine(folder, ConfigBundle.ConfigFileName));
            }, iter: RuleSets, threads: 1);

            output.WriteLine($"{RuleSets} rule sets: {refused} refused by Validate(), {rendered.Count} rendered and checked with haproxy -c");
            Assert.InRange(refused, RuleSets / 10, RuleSets - (RuleSets / 10)); // The generator exercises both outcomes.
            var failures = HaproxyCheck.Failures(rendered);
            Assert.True(failures.Count == 0, $"{failures.Count} configs refused:\n{string.Join('\n', failures.Take(10))}");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static void AssertHoldsExactlyItsDirectives(HaproxySpec spec, string config)
    {
        Assert.DoesNotContain('\r', config);
        var lines = config.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var statements = lines.Select(Cfg.Words).ToList();
        foreach (var (line, words) in lines.Zip(statements))
        {
            Assert.True(RenderedKeywords.All.Contains(words[0]), $"A line starts with an unknown word; something got in: {line}");
        }

        // The rules live in fe_http, between its header and the next section.
        var frontend = statements.SkipWhile(w => w is not ["frontend", ConfigRenderer.HttpFrontend]).Skip(1)
            .TakeWhile(w => w[0] is not ("frontend" or "backend")).ToList();
        var requestRules = frontend.Where(w => w[0] == "http-request").ToList();
        // Every config comes with six: non-normal paths refused, X-Forwarded-Proto (two lines),
        // X-Forwarded-For and X-Request-ID dropped, and idempotent-only L7 retries.
        var expected = 6 + spec.RequestRules.Sum(r => r is RateLimitRule ? 2 : 1);
        Assert.Equal(expected, requestRules.Count);
        Assert.Equal(spec.ResponseHeaders.Count, frontend.Count(w => w[0] == "http-after-response"));

        // Header values survive quoting exactly, with '%' doubled for HAProxy's log-format.
        var edits = spec.RequestRules.OfType<RequestHeaderRule>().Select(r => r.Edit).Where(e => e.Value is not null);
        var rendered = requestRules.Where(w => w[1] is "set-header" or "add-header" && w[2] != "X-Forwarded-Proto").Select(w => (w[2], w[3]));
        Assert.Equal(edits.Select(e => (e.Name, e.Value!.Replace("%", "%%", StringComparison.Ordinal))), rendered);
    }

    private static Gen<string> Hostile(Gen<string> valid) => Gen.Frequency(
        (40, valid),
        (1, from v in valid
            from piece in Gen.OneOfConst(HostilePieces)
            from spot in Gen.Int[0, 2]
            select spot switch { 0 => piece + v, 1 => v + piece, _ => v.Insert(v.Length / 2, piece) }));
}
