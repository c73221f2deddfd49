using System.Text;
using HaproxyCluster.Node;

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
    private int _jwtRules;
    private readonly List<FleetLimit> _fleetLimits = [];

    /// <summary>Stick counters given out so far.</summary>
    public int StickCounters => _stickTables.Count;

    /// <summary>Lowers the whole of <paramref name="spec"/>, which must be valid.</summary>
    public static ConfigPlan Plan(HaproxySpec spec, string configDirectory)
    {
        var planner = new Planner(spec, configDirectory);
        var frontend = planner.Frontend();
        var clientCa = spec.Listeners.Tls?.ClientCertificates is { } clients ? planner.AddFile("tls/clients-ca.pem", clients.CaBundlePem) : null;
        var discovery = Discovery(spec, planner._fleetLimits, $"{configDirectory}/{FleetLimitsMap}");
        if (discovery is not null)
        {
            planner.AddFile(MembershipManifest.FileName, discovery.ToJson());
        }

        return new ConfigPlan(
            spec,
            RequestIdFormat(spec.Defaults),
            frontend,
            spec.Pools.OrderBy(p => p.Name, StringComparer.Ordinal).Select(planner.Backend).ToValueList(),
            planner._stickTables.OrderBy(t => t.Name, StringComparer.Ordinal).ToValueList(),
            planner._files.Select(f => new BundleFile(f.Key, f.Value)).ToValueList(),
            spec.UsesDns,
            discovery,
            clientCa);
    }

    /// <summary>The lines of <paramref name="rule"/>.</summary>
    public IReadOnlyList<Directive> Lower(RequestRule rule) => rule.Lower(this, Condition.From(rule.When));

    /// <summary>The lines of <paramref name="route"/>.</summary>
    public IReadOnlyList<Directive> Lower(Route route) => route.Lower(this);

    /// <summary>The prefix of the next JWT rule's transaction variables (<c>jwt0</c>, <c>jwt1</c>…).</summary>
    public string JwtVariables() => "jwt" + (_jwtRules++).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Gives <paramref name="limit"/> the next stick counter and its own table.</summary>
    public (int Counter, string Table) Track(RateLimitRule limit)
    {
        var table = new StickTablePlan("st_" + limit.Name, limit.Period);
        _stickTables.Add(table);
        return (_stickTables.Count - 1, table.Name);
    }

    /// <summary>
    /// The map of fleet-wide limits: name → this node's share, kept by the node agent. The '.' in
    /// its name keeps it apart from routing tables' maps, whose names cannot hold one.
    /// </summary>
    public const string FleetLimitsMap = "maps/fleet.limits.map";

    /// <summary>Adds a fleet-wide limit to the map the node agent keeps; returns the map's path.</summary>
    public string AddFleetLimit(RateLimitRule limit)
    {
        _fleetLimits.Add(new FleetLimit(limit.Name, limit.Requests));
        return AddMap(FleetLimitsMap, _fleetLimits.Select(l => (l.Name, l.Requests.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    /// <summary>Adds a file to the bundle; returns the path the config reads it from.</summary>
    public string AddFile(string path, string content)
    {
        _files[path] = content;
        return $"{configDirectory}/{path}";
    }

    /// <summary>Adds a map file of <paramref name="rows"/>, in the order given; returns its path.</summary>
    public string AddMap(string path, IEnumerable<(string Key, string Value)> rows)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in rows)
        {
            text.Append(key).Append(' ').Append(value).Append('\n');
        }

        return AddFile(path, text.ToString());
    }

    private ValueList<Directive> Frontend()
    {
        var defaults = spec.Defaults;
        var lines = new List<Directive>();
        if (defaults.RejectNonNormalPaths)
        {
            lines.Add(new DenyDirective(400, Condition.Always.And(Acl.NonNormalPath)));
        }

        lines.AddRange(ForwardingHeaders(defaults));
        lines.AddRange(spec.RequestRules.SelectMany(Lower));
        if (defaults.RetriesSentRequests)
        {
            // A server that died after it got a POST may have acted on it: only idempotent requests
            // are sent again, and only they pay for the copy HAProxy keeps for that.
            lines.Add(new DisableL7RetryDirective(Condition.Always.And("!" + Acl.IdempotentMethod)));
        }

        lines.AddRange(spec.ResponseHeaders.Select(edit => new HeaderDirective(HeaderPhase.AfterResponse, edit, Condition.Always)));
        lines.AddRange(spec.Routes.SelectMany(Lower));
        return lines.ToValueList();
    }

    /// <summary>
    /// The headers the cluster owns: X-Forwarded-Proto from the bind the request came in on;
    /// X-Forwarded-For (which <c>option forwardfor</c> appends to) and the request id dropped
    /// unless a trusted proxy sent them.
    /// </summary>
    private IEnumerable<Directive> ForwardingHeaders(DefaultSettings defaults)
    {
        if (spec.Listeners.ComesOverTls)
        {
            yield return new HeaderDirective(HeaderPhase.Request, HeaderEdit.Set("X-Forwarded-Proto", "https"), Condition.Always.And(Acl.CameOverTls));
            yield return new HeaderDirective(HeaderPhase.Request, HeaderEdit.Set("X-Forwarded-Proto", "http"), Condition.Always.And("!" + Acl.CameOverTls));
        }
        else
        {
            yield return new HeaderDirective(HeaderPhase.Request, HeaderEdit.Set("X-Forwarded-Proto", "http"), Condition.Always);
        }

        var untrusted = defaults.TrustedProxies.IsEmpty ? Condition.Always : Condition.Always.And("!" + Acl.Source(defaults.TrustedProxies));
        yield return new HeaderDirective(HeaderPhase.Request, HeaderEdit.Delete("X-Forwarded-For"), untrusted);
        if (spec.Listeners.Tls?.ClientCertificates is { } clients)
        {
            foreach (var directive in ClientCertificateHeaders(clients))
            {
                yield return directive;
            }
        }

        if (defaults.RequestIdHeader is not { } header)
        {
            yield break;
        }

        if (!defaults.TrustedProxies.IsEmpty)
        {
            // The request id is this variable (unique-id-format): the proxy's id when it sent
            // one, else a new UUID. The header is then written once, by unique-id-header.
            var sent = Cfg.Invariant($"{{ req.hdr({header}) -m found }}");
            yield return new SetVarDirective(RequestIdVariable, $"req.hdr({header})", Condition.Always.And(Acl.Source(defaults.TrustedProxies)).And(sent));
            yield return new SetVarDirective(RequestIdVariable, "uuid", Condition.Always.And($"!{{ var(txn.{RequestIdVariable}) -m found }}"));
        }

        yield return new HeaderDirective(HeaderPhase.Request, HeaderEdit.Delete(header), Condition.Always);
    }

    /// <summary>
    /// Mutual TLS at the node's TLS bind (which asks with <c>verify optional</c> and lets every
    /// verification error through to here): a certificate that did not verify is refused, as is none
    /// when one is required; a verified one's subject and fingerprint replace whatever the client sent.
    /// </summary>
    private static IEnumerable<Directive> ClientCertificateHeaders(ClientCertificates clients)
    {
        yield return new HeaderDirective(HeaderPhase.Request, HeaderEdit.Delete(clients.SubjectHeader), Condition.Always);
        yield return new HeaderDirective(HeaderPhase.Request, HeaderEdit.Delete(clients.FingerprintHeader), Condition.Always);
        var overTls = Condition.Always.And(Acl.CameOverNodeTls);
        yield return new DenyDirective(clients.DenyStatus, overTls.And("{ ssl_c_used }").And("!{ ssl_c_verify 0 }"));
        if (clients.Mode == ClientCertificateMode.Required)
        {
            yield return new DenyDirective(clients.DenyStatus, overTls.And("!{ ssl_c_used }"));
        }

        var verified = Condition.From(Match.ClientCertificate());
        yield return new SetHeaderFromDirective(clients.SubjectHeader, Acl.ClientSubject, verified.And($"{{ {Acl.ClientSubject} -m reg {Cfg.Word("^[\x20-\x7e]+$")} }}"));
        yield return new SetHeaderFromDirective(clients.FingerprintHeader, Acl.ClientSha256, verified);
    }

    /// <summary>
    /// A random (version 4) UUID: unique across nodes and reloads, the form tracing tools expect,
    /// and measured cheaper per request than formatting addresses and counters. With trusted
    /// proxies, the variable the frontend fills (their id, or a UUID).
    /// </summary>
    private static string? RequestIdFormat(DefaultSettings defaults) =>
        defaults.RequestIdHeader is null ? null : defaults.TrustedProxies.IsEmpty ? "%[uuid()]" : $"%[var(txn.{RequestIdVariable})]";

    /// <summary>The transaction variable holding the request id when trusted proxies may send one.</summary>
    public const string RequestIdVariable = "request_id";

    /// <summary>The name every slot of a discovered pool starts with; the slot's number follows.</summary>
    public static string SlotPrefix(Pool pool) => pool.Name + "-";

    private static MembershipManifest? Discovery(HaproxySpec spec, List<FleetLimit> fleetLimits, string fleetLimitsMap)
    {
        var pools = spec.Pools.Where(p => p.Discovery is Ec2Discovery).OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => (Pool: p, Ec2: (Ec2Discovery)p.Discovery!))
            .Select(p => new DiscoveredPool(p.Pool.Name, SlotPrefix(p.Pool), p.Ec2.Slots, p.Ec2.Port, p.Ec2.AutoScalingGroup, [.. p.Ec2.Tags.Select(t => new MemberTag(t.Key, t.Value))], (int)p.Ec2.DrainTimeout.TotalSeconds))
            .ToList();
        return pools.Count == 0 && fleetLimits.Count == 0
            ? null
            : new MembershipManifest(spec.Global.RuntimeSocketPath, spec.Global.ServerStateFile, pools, fleetLimits, fleetLimits.Count == 0 ? null : fleetLimitsMap);
    }

    private BackendPlan Backend(Pool pool) =>
        new(pool, pool.NamedServers().Select(s => new ServerPlan(s.Name, s.Server.Address, s.Server.Port, s.Server.IsDnsName)).ToValueList(),
            pool.Tls is { } tls ? AddFile($"ca/{pool.Name}.pem", tls.CaBundlePem) : null);
}
