using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// <see cref="Rule.RequireJwt"/> through the real HAProxy 2.6 and 3.0, with tokens this test signs
/// (RS256 and ES256): what passes, what is answered 401 and why, and which headers reach the backend.
/// </summary>
public sealed class JwtBehaviourTests : IAsyncLifetime, IDisposable
{
    private const string Issuer = "https://login.example.com/";
    private static readonly RSA Rsa = RSA.Create(2048);
    private static readonly ECDsa Ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private readonly Backend _web = new("web");
    private RunningHaproxy _haproxy26 = null!;
    private RunningHaproxy _haproxy30 = null!;

    private static HaproxySpec Spec(Backend web) => new()
    {
        Pools = [new Pool { Name = "web", Servers = [web.Server] }],
        DefaultPool = "web",
        RequestRules =
        [
            Rule.RequireJwt("partners", new JwtIssuer
            {
                Issuer = Issuer,
                Audiences = ["orders-api", "billing-api"],
                PublicKeyPem = Rsa.ExportSubjectPublicKeyInfoPem(),
                ForwardClaims = [new JwtClaimHeader("sub", "X-Jwt-Subject"), new JwtClaimHeader("tenant", "X-Jwt-Tenant")],
            }, when: Match.PathPrefix("/api/")),
            Rule.RequireJwt("devices", new JwtIssuer
            {
                Issuer = "https://devices.example.com",
                Audiences = ["telemetry"],
                PublicKeyPem = Ec.ExportSubjectPublicKeyInfoPem(),
                Algorithms = ["ES256"],
            }, when: Match.PathPrefix("/telemetry/")),
        ],
    };

    public async Task InitializeAsync()
    {
        _haproxy26 = await RunningHaproxy.StartAsync(Spec(_web));
        _haproxy30 = await RunningHaproxy.StartAsync(Spec(_web), haproxy30: true);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _haproxy26?.Dispose();
        _haproxy30?.Dispose();
        _web.Dispose();
    }

    private RunningHaproxy On(bool haproxy30) => haproxy30 ? _haproxy30 : _haproxy26;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static Dictionary<string, object> Claims(Action<Dictionary<string, object>>? change = null)
    {
        var claims = new Dictionary<string, object> { ["iss"] = Issuer, ["aud"] = "orders-api", ["sub"] = "alice", ["exp"] = Now + 300, ["nbf"] = Now - 10 };
        change?.Invoke(claims);
        return claims;
    }

    private static string Token(string alg, object claims, Func<byte[], byte[]> sign)
    {
        var input = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT" })) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        return input + "." + Base64Url.EncodeToString(sign(Encoding.ASCII.GetBytes(input)));
    }

    private static string Rs256(object claims) => Token("RS256", claims, data => Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    private static Dictionary<string, string> Bearer(string token, params (string Name, string Value)[] more) =>
        new[] { ("Authorization", "Bearer " + token) }.Concat(more).ToDictionary(h => h.Item1, h => h.Item2);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_valid_token_reaches_the_backend_with_its_claims_in_headers_the_client_cannot_set(bool haproxy30)
    {
        var token = Rs256(Claims(c => c["tenant"] = "acme"));

        var reply = await On(haproxy30).GetAsync("/api/orders", headers: Bearer(token, ("X-Jwt-Subject", "admin"), ("X-Jwt-Tenant", "everyone")));

        Assert.Equal(200, reply.Status);
        Assert.Equal("alice", reply.SeenHeader("X-Jwt-Subject"));
        Assert.Equal("acme", reply.SeenHeader("X-Jwt-Tenant"));
        Assert.DoesNotContain("admin", reply.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_forwarded_header_a_client_sends_is_dropped_even_where_no_token_is_required(bool haproxy30)
    {
        var reply = await On(haproxy30).GetAsync("/", headers: new Dictionary<string, string> { ["X-Jwt-Subject"] = "admin" });

        Assert.Equal(200, reply.Status);
        Assert.Null(reply.SeenHeader("X-Jwt-Subject"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_es256_token_from_its_own_issuer_passes_and_an_rs256_one_does_not(bool haproxy30)
    {
        var claims = Claims(c => (c["iss"], c["aud"]) = ("https://devices.example.com", "telemetry"));

        var es256 = await On(haproxy30).GetAsync("/telemetry/readings", headers: Bearer(Token("ES256", claims, data => Ec.SignData(data, HashAlgorithmName.SHA256))));
        var rs256 = await On(haproxy30).GetAsync("/telemetry/readings", headers: Bearer(Rs256(claims)));

        Assert.Equal(200, es256.Status);
        Assert.Equal(401, rs256.Status);
    }

    /// <summary>Each bad token, made when its test runs: a token made at discovery could have expired, or become valid, by then.</summary>
    private static readonly Dictionary<string, Func<string>> BadTokens = new()
    {
        ["expired beyond the skew"] = () => Rs256(Claims(c => c["exp"] = Now - 120)),
        ["not valid for five minutes"] = () => Rs256(Claims(c => c["nbf"] = Now + 300)),
        ["no expiry"] = () => Rs256(Claims(c => c.Remove("exp"))),
        ["another issuer"] = () => Rs256(Claims(c => c["iss"] = "https://evil.example.com/")),
        ["another audience"] = () => Rs256(Claims(c => c["aud"] = "admin-api")),
        ["an audience list"] = () => Rs256(Claims(c => c["aud"] = new[] { "orders-api" })),
        ["alg none, no signature"] = () => Token("none", Claims(), _ => []),
        ["HS256 keyed with the public key"] = () => Token("HS256", Claims(), data => HMACSHA256.HashData(Encoding.ASCII.GetBytes(Rsa.ExportSubjectPublicKeyInfoPem()), data)),
        ["signed by another key"] = () => Token("RS256", Claims(), data => RSA.Create(2048).SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)),
        ["truncated"] = () => Rs256(Claims())[..^12],
        ["garbage"] = () => "not.a.token",
    };

    public static TheoryData<string, bool, string> Refused => new()
    {
        { "expired beyond the skew", false, "expired" },
        { "not valid for five minutes", true, "not yet valid" },
        { "no expiry", false, "no expiry" },
        { "another issuer", true, "wrong issuer" },
        { "another audience", false, "wrong audience" },
        { "an audience list", true, "wrong audience" },
        { "alg none, no signature", false, "bad signature or algorithm" },
        { "HS256 keyed with the public key", true, "bad signature or algorithm" },
        { "signed by another key", false, "bad signature or algorithm" },
        { "truncated", true, "bad signature or algorithm" },
        { "garbage", false, "bad signature or algorithm" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_bad_token_is_answered_401_with_why_and_never_reaches_the_backend(string bad, bool haproxy30, string why)
    {
        var before = _web.Requests("/api/orders");

        var reply = await On(haproxy30).GetAsync("/api/orders", headers: Bearer(BadTokens[bad]()));

        Assert.True(reply.Status == 401, $"{bad}: {reply.Status}");
        Assert.Equal($"Bearer realm=\"partners\", error=\"invalid_token\", error_description=\"{why}\"", reply.Header("WWW-Authenticate"));
        Assert.Equal(before, _web.Requests("/api/orders"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task No_token_gets_the_bare_challenge_and_an_expiry_within_the_skew_still_passes(bool haproxy30)
    {
        var none = await On(haproxy30).GetAsync("/api/orders");
        var basic = await On(haproxy30).GetAsync("/api/orders", headers: new Dictionary<string, string> { ["Authorization"] = "Basic YWxpY2U6c2VjcmV0" });
        var justExpired = await On(haproxy30).GetAsync("/api/orders", headers: Bearer(Rs256(Claims(c => c["exp"] = Now - 20))));

        Assert.Equal((401, "Bearer realm=\"partners\""), (none.Status, none.Header("WWW-Authenticate")));
        Assert.Equal((401, "Bearer realm=\"partners\""), (basic.Status, basic.Header("WWW-Authenticate")));
        Assert.Equal(200, justExpired.Status);
    }
}
