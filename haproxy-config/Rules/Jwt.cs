using System.Security.Cryptography;
using System.Text.RegularExpressions;
using static HaproxyCluster.Config.Cfg;

namespace HaproxyCluster.Config;

/// <summary>
/// Who issues the JSON Web Tokens a <see cref="Rule.RequireJwt"/> rule accepts, and what of them
/// reaches the backend.
/// </summary>
public sealed record JwtIssuer
{
    /// <summary>The <c>iss</c> claim a token must hold, exactly (such as <c>https://login.example.com/</c>).</summary>
    public required string Issuer { get; init; }

    /// <summary>The audiences accepted: a token's <c>aud</c>, a string, must be one of them. A token whose <c>aud</c> is a list is refused.</summary>
    public required ValueList<string> Audiences { get; init; }

    /// <summary>
    /// The issuer's public key in PEM (<c>-----BEGIN PUBLIC KEY-----</c>, RSA or EC), read from a
    /// file in the repository; it ships in the bundle as <c>keys/NAME.pem</c>.
    /// </summary>
    public required string PublicKeyPem { get; init; }

    /// <summary>
    /// The algorithms a token may be signed with, matching the key: RS256, RS384 or RS512 for an RSA
    /// key; ES256, ES384 or ES512 for an EC key on P-256, P-384 or P-521. <c>none</c> and HMAC are
    /// never accepted, so a token signed with the public key as an HMAC secret is refused. Default: RS256.
    /// </summary>
    public ValueList<string> Algorithms { get; init; } = ["RS256"];

    /// <summary>How far the node's clock may be from the issuer's when <c>exp</c> and <c>nbf</c> are compared, in whole seconds up to 10 minutes. Default: 60 s.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Claims passed to the backend, each in a request header of its own. A client's own header of
    /// that name is removed from every request, so only a verified token can set it. A claim that is
    /// missing, or holds more than printable ASCII, sets no header.
    /// </summary>
    public ValueList<JwtClaimHeader> ForwardClaims { get; init; } = [];
}

/// <summary>A claim passed to the backend: <paramref name="Claim"/> (such as <c>sub</c>) in header <paramref name="Header"/>.</summary>
public sealed record JwtClaimHeader(string Claim, string Header);

/// <summary>
/// Answers 401 with <c>WWW-Authenticate: Bearer</c> every matching request that lacks a valid JWT
/// from <see cref="Issuer"/> in its <c>Authorization: Bearer</c> header: its signature verified
/// with the issuer's key by an allowed algorithm, <c>exp</c> in the future and <c>nbf</c> (if any)
/// in the past within the clock skew, <c>iss</c> and <c>aud</c> as configured.
/// </summary>
/// <param name="Name">Names the rule and its key file: lower-case letters, digits, '_' or '-'.</param>
/// <param name="Issuer">The issuer and what the rule accepts from it.</param>
public sealed partial record RequireJwtRule(string Name, JwtIssuer Issuer) : RequestRule
{
    /// <summary>The algorithms HAProxy 2.6 and 3.0 both verify, by the key each needs (EC: its curve).</summary>
    private static readonly Dictionary<string, string> KeyOfAlgorithm = new(StringComparer.Ordinal)
    {
        ["RS256"] = "RSA",
        ["RS384"] = "RSA",
        ["RS512"] = "RSA",
        ["ES256"] = "P-256",
        ["ES384"] = "P-384",
        ["ES512"] = "P-521",
    };

    /// <summary>Headers a forwarded claim may not take: the token's own, the routing's, and those the cluster sets.</summary>
    private static readonly HashSet<string> Reserved = new(["Authorization", "Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID", "Content-Length", "Transfer-Encoding", "Connection"], StringComparer.OrdinalIgnoreCase);

    internal override bool EndsRequest => false;

    internal override void Check(Problems at, SpecContext spec)
    {
        at["Name"].Add(Syntax.Slug(Name));
        spec.Unique(at["Name"], "JWT rule", Name);
        at = at["Issuer"];
        if (Issuer is null)
        {
            at.Add("is null; give the JwtIssuer whose tokens the rule accepts");
            return;
        }

        at["Issuer"].Add(Syntax.HeaderValue(Issuer.Issuer) ?? Syntax.AclPattern(Issuer.Issuer));
        at["Audiences"].Require(!Issuer.Audiences.IsEmpty, "is empty; give the audience (aud) the backend is");
        for (var i = 0; i < Issuer.Audiences.Count; i++)
        {
            at["Audiences"][i].Add(Syntax.HeaderValue(Issuer.Audiences[i]) ?? Syntax.AclPattern(Issuer.Audiences[i]));
        }

        var key = KeyKind(Issuer.PublicKeyPem, out var keyProblem);
        at["PublicKeyPem"].Add(keyProblem);
        at["Algorithms"].Require(!Issuer.Algorithms.IsEmpty, "is empty; give the algorithm the issuer signs with, such as RS256");
        for (var i = 0; i < Issuer.Algorithms.Count; i++)
        {
            at["Algorithms"][i].Add(AlgorithmProblem(Issuer.Algorithms[i], key));
        }

        at["ClockSkew"].Require(
            Issuer.ClockSkew.Ticks % TimeSpan.TicksPerSecond == 0 && Issuer.ClockSkew >= TimeSpan.Zero && Issuer.ClockSkew <= TimeSpan.FromMinutes(10),
            $"{Issuer.ClockSkew} is not a whole number of seconds from 0 to 10 minutes");
        var headers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Issuer.ForwardClaims.Count; i++)
        {
            var forward = at["ForwardClaims"][i];
            if (Issuer.ForwardClaims[i] is not { } claim)
            {
                forward.Add("is null; remove it");
                continue;
            }

            forward["Claim"].Require(claim.Claim is not null && ClaimName().IsMatch(claim.Claim),
                $"{Syntax.Show(claim.Claim)} is not a claim name; use a letter or '_', then up to 63 letters, digits or '_'");
            forward["Header"].Add(Syntax.HeaderName(claim.Header));
            forward["Header"].Require(claim.Header is null || !Reserved.Contains(claim.Header),
                $"'{claim.Header}' is a header the node reads or the cluster sets, and every client's copy of a forwarded claim's header is removed; use a header of its own, such as X-Jwt-Subject");
            forward["Header"].Require(claim.Header is null || headers.Add(claim.Header), $"'{claim.Header}' carries an earlier claim too; give each claim its own header");
        }
    }

    internal override IReadOnlyList<Directive> Lower(Planner planner, Condition when)
    {
        var v = planner.JwtVariables();
        var key = planner.AddFile($"keys/{Name}.pem", Issuer.PublicKeyPem);
        var skew = Invariant($"{(long)Issuer.ClockSkew.TotalSeconds}");
        Condition Refused(string acl) => when.And(acl);
        ChallengeDirective Invalid(string why, string acl) => new($"Bearer realm=\"{Name}\", error=\"invalid_token\", error_description=\"{why}\"", Refused(acl));
        return
        [
            // Headers only a verified token may set: a client's own are gone from every request.
            .. Issuer.ForwardClaims.Select(c => new HeaderDirective(HeaderPhase.Request, HeaderEdit.Delete(c.Header), Condition.Always)),
            new ChallengeDirective($"Bearer realm=\"{Name}\"", Refused("!{ http_auth_bearer -m found }")),
            new SetVarDirective($"{v}_alg", "http_auth_bearer,jwt_header_query('$.alg')", when),

            // The algorithm is a constant in each call: a token's header only picks among the allowed.
            .. Issuer.Algorithms.Select(alg => new SetVarDirective($"{v}_ok", "int(1)",
                when.And($"{{ var(txn.{v}_alg) -m str {alg} }}").And($"{{ http_auth_bearer,jwt_verify({alg},{key}) -m int 1 }}"))),
            Invalid("bad signature or algorithm", $"!{{ var(txn.{v}_ok) -m found }}"),
            new SetVarDirective($"{v}_now", "date", when),
            new SetVarDirective($"{v}_exp", "http_auth_bearer,jwt_payload_query('$.exp','int')", when),
            Invalid("no expiry", $"!{{ var(txn.{v}_exp) -m found }}"),
            Invalid("expired", $"{{ var(txn.{v}_exp),add({skew}),sub(txn.{v}_now) -m int lt 0 }}"),
            new SetVarDirective($"{v}_nbf", "http_auth_bearer,jwt_payload_query('$.nbf','int')", when),
            Invalid("not yet valid", $"{{ var(txn.{v}_nbf),sub({skew}),sub(txn.{v}_now) -m int gt 0 }}"),
            new SetVarDirective($"{v}_iss", "http_auth_bearer,jwt_payload_query('$.iss')", when),
            Invalid("wrong issuer", $"!{{ var(txn.{v}_iss) -m str {Pattern(Issuer.Issuer)} }}"),
            new SetVarDirective($"{v}_aud", "http_auth_bearer,jwt_payload_query('$.aud')", when),
            Invalid("wrong audience", $"!{{ var(txn.{v}_aud) -m str {string.Join(' ', Issuer.Audiences.Select(Pattern))} }}"),
            .. Issuer.ForwardClaims.Select(c => new SetHeaderFromDirective(c.Header, $"http_auth_bearer,jwt_payload_query('$.{c.Claim}')",
                when.And($"{{ http_auth_bearer,jwt_payload_query('$.{c.Claim}') -m reg {Word("^[\\x20-\\x7e]+$")} }}"))),
        ];
    }

    /// <summary>The key's kind (<c>RSA</c>, or an EC key's curve such as <c>P-256</c>), or null with the problem.</summary>
    private static string? KeyKind(string? pem, out string? problem)
    {
        problem = null;
        if (pem is null || !pem.Contains("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal))
        {
            problem = pem is not null && pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal)
                ? "holds a private key; ship the issuer's public key only (openssl pkey -pubout)"
                : "is not a PEM public key; give the issuer's key as -----BEGIN PUBLIC KEY----- …";
            return null;
        }

        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return "RSA";
        }
        catch (CryptographicException)
        {
        }

        try
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return ec.ExportParameters(false).Curve.Oid.FriendlyName switch
            {
                "nistP256" or "ECDSA_P256" => "P-256",
                "nistP384" or "ECDSA_P384" => "P-384",
                "nistP521" or "ECDSA_P521" => "P-521",
                var curve => Unsupported(out problem, $"is an EC key on {curve}; JWTs use P-256, P-384 or P-521"),
            };
        }
        catch (CryptographicException e)
        {
            problem = $"does not parse as an RSA or EC public key ({e.Message.TrimEnd('.')})";
            return null;
        }
    }

    private static string? Unsupported(out string? problem, string message)
    {
        problem = message;
        return null;
    }

    private static string? AlgorithmProblem(string? algorithm, string? key)
    {
        if (algorithm is null)
        {
            return "is null; name an algorithm, such as RS256";
        }

        if (algorithm.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return "'none' accepts unsigned tokens and is never allowed";
        }

        if (algorithm.StartsWith("HS", StringComparison.Ordinal))
        {
            return $"'{algorithm}' is HMAC: anyone who knows the public key could sign with it as the secret; it is never allowed";
        }

        if (algorithm.StartsWith("PS", StringComparison.Ordinal))
        {
            return $"'{algorithm}' is not verified by HAProxy 2.6 (jwt_verify returns -2); use RS256, RS384 or RS512";
        }

        if (!KeyOfAlgorithm.TryGetValue(algorithm, out var needs))
        {
            return $"{Syntax.Show(algorithm)} is not a JWT algorithm; use RS256, RS384, RS512, ES256, ES384 or ES512";
        }

        return key is null || needs == key
            ? null
            : $"'{algorithm}' needs {(needs == "RSA" ? "an RSA key" : $"an EC key on {needs}")}, but the key is {(key == "RSA" ? "RSA" : $"EC on {key}")}";
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}\\z")]
    private static partial Regex ClaimName();
}
