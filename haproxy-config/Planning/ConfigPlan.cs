using HaproxyCluster.Node;
namespace HaproxyCluster.Config;

/// <summary>
/// A spec lowered: every decision the config needs is made (rule lines in order, stick counters
/// assigned, conditions normalised, server names given, map rows sorted, files named), so the
/// emitter writes text and decides nothing. Settings sections are read straight from the spec.
/// </summary>
/// <param name="Spec">The validated spec, for its settings (global, defaults, listeners, resolvers).</param>
/// <param name="Frontend">The HTTP frontend's rule lines, in the order HAProxy must run them.</param>
/// <param name="Backends">One per pool, sorted by name.</param>
/// <param name="StickTables">One per rate limit, sorted by name.</param>
/// <param name="Files">Maps and pages, by path under the config directory.</param>
/// <param name="UsesDns">Whether some server is a DNS name, so the resolvers section is needed.</param>
/// <param name="RequestIdFormat">What each request's id is (<c>unique-id-format</c>); null for no request id.</param>
/// <param name="Discovery">What the node agent fills, when a pool is discovered from EC2; else null.</param>
/// <param name="ClientCaFile">The CA file clients' certificates are verified with (mutual TLS); else null.</param>
internal sealed record ConfigPlan(
    HaproxySpec Spec,
    string? RequestIdFormat,
    ValueList<Directive> Frontend,
    ValueList<BackendPlan> Backends,
    ValueList<StickTablePlan> StickTables,
    ValueList<BundleFile> Files,
    bool UsesDns,
    MembershipManifest? Discovery,
    string? ClientCaFile);

/// <summary>A pool's backend: its settings, its servers named, and the CA file its servers' certificates are verified with (TLS only).</summary>
internal sealed record BackendPlan(Pool Pool, ValueList<ServerPlan> Servers, string? CaFile);

/// <summary>One server line: its name, where it is, and whether that is a DNS name to resolve.</summary>
internal sealed record ServerPlan(string Name, string Address, int Port, bool ByDns);

/// <summary>The stick table of one rate limit.</summary>
internal sealed record StickTablePlan(string Name, TimeSpan Period);
