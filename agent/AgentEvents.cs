using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// Everything the agent reports, one event each: a stable name and id, typed fields, and a message
/// for people. Written one JSON object a line (<see cref="EventLineFormatter"/>), so the local
/// harness, tests and CloudWatch Logs Insights read the name and fields, never the message. Ids:
/// 1xx discovery, 2xx rules rollout, 3xx applying a bundle.
/// </summary>
internal static partial class AgentEvents
{
    [LoggerMessage(100, LogLevel.Information, "discovery: every pool read; ready", EventName = "DiscoveryReady")]
    public static partial void DiscoveryReady(this ILogger log);

    [LoggerMessage(101, LogLevel.Information, "discovery: no discovered pool; ready", EventName = "NoDiscoveredPool")]
    public static partial void NoDiscoveredPool(this ILogger log);

    [LoggerMessage(102, LogLevel.Information, "discovery: {Pool}/{Slot}: serving {InstanceId} at {Address}:{Port}", EventName = "SlotFilled")]
    public static partial void SlotFilled(this ILogger log, string pool, string slot, string instanceId, string address, int port);

    [LoggerMessage(103, LogLevel.Information, "discovery: {Pool}/{Slot}: draining for up to {DrainSeconds} s ({Reason})", EventName = "SlotDraining")]
    public static partial void SlotDraining(this ILogger log, string pool, string slot, DrainReason reason, int drainSeconds);

    [LoggerMessage(104, LogLevel.Information, "discovery: {Pool}/{Slot}: drained; empty", EventName = "SlotEmptied")]
    public static partial void SlotEmptied(this ILogger log, string pool, string slot);

    [LoggerMessage(105, LogLevel.Warning, "discovery: {Pool}: {Unslotted} instance(s) have no slot ({Slots} slots); raise Ec2Discovery.Slots", EventName = "MembersUnslotted")]
    public static partial void MembersUnslotted(this ILogger log, string pool, int unslotted, int slots);

    [LoggerMessage(106, LogLevel.Warning, "discovery: {What}: EC2 could not be read ({Error}: {Detail}); keeping everything as it is", EventName = "Ec2ReadFailed")]
    public static partial void Ec2ReadFailed(this ILogger log, string what, string error, string detail);

    [LoggerMessage(107, LogLevel.Warning, "discovery: {What}: EC2 throttled the call; keeping everything as it is and waiting longer", EventName = "Ec2Throttled")]
    public static partial void Ec2Throttled(this ILogger log, string what);

    [LoggerMessage(108, LogLevel.Warning, "discovery: HAProxy's Runtime API did not answer ({Detail}); trying again", EventName = "RuntimeApiUnanswered")]
    public static partial void RuntimeApiUnanswered(this ILogger log, string detail);

    [LoggerMessage(109, LogLevel.Warning, "discovery: the pass failed ({Error}: {Detail}); trying again", EventName = "PassFailed")]
    public static partial void PassFailed(this ILogger log, string error, string detail);

    [LoggerMessage(110, LogLevel.Warning, "discovery: {Pool}: running instance(s) that cannot serve, left out: {Instances}", EventName = "InstancesSkipped")]
    public static partial void InstancesSkipped(this ILogger log, string pool, string instances);

    [LoggerMessage(111, LogLevel.Warning, "discovery: {Pool}: instance(s) listing an address a newer instance holds, left out: {Instances}", EventName = "AddressShared")]
    public static partial void AddressShared(this ILogger log, string pool, string instances);

    [LoggerMessage(112, LogLevel.Information, "fleet: {Limit}: {Requests} for {Nodes} nodes, {Share} on this one", EventName = "FleetShareSet")]
    public static partial void FleetShareSet(this ILogger log, string limit, int requests, int nodes, int share);

    [LoggerMessage(113, LogLevel.Information, "discovery: the rules changed; reading the manifest again", EventName = "DiscoveryRestarted")]
    public static partial void DiscoveryRestarted(this ILogger log);

    [LoggerMessage(114, LogLevel.Warning, "discovery: could not start ({Error}: {Detail}); trying again", EventName = "DiscoveryStartFailed")]
    public static partial void DiscoveryStartFailed(this ILogger log, string error, string detail);

    [LoggerMessage(200, LogLevel.Warning, "rules: {Url} does not answer ({Detail}); the running rules stay", EventName = "RulesUnreachable")]
    public static partial void RulesUnreachable(this ILogger log, Uri url, string detail);

    [LoggerMessage(201, LogLevel.Information, "rules: new version, bundle {Sha256}", EventName = "RulesVersionReceived")]
    public static partial void RulesVersionReceived(this ILogger log, string sha256);

    [LoggerMessage(202, LogLevel.Warning, "rules: version refused: {Detail}", EventName = "RulesPayloadRefused")]
    public static partial void RulesPayloadRefused(this ILogger log, string detail);

    [LoggerMessage(203, LogLevel.Information, "rules: bundle {Sha256} applied ({Outcome})", EventName = "RulesApplied")]
    public static partial void RulesApplied(this ILogger log, string sha256, ApplyOutcome outcome);

    [LoggerMessage(204, LogLevel.Error, "rules: bundle {Sha256} FAILED: refused or reverted; the previous rules run", EventName = "RulesFailed")]
    public static partial void RulesFailed(this ILogger log, string sha256);

    [LoggerMessage(205, LogLevel.Critical, "rules: the rollout stopped ({Error}: {Detail}); the agent exits to be restarted", EventName = "RolloutStopped")]
    public static partial void RolloutStopped(this ILogger log, string error, string detail);

    [LoggerMessage(300, LogLevel.Error, "apply: bundle sha256 is {Actual}, expected {Expected}; refused", EventName = "BundleHashMismatch")]
    public static partial void BundleHashMismatch(this ILogger log, string actual, string expected);

    [LoggerMessage(301, LogLevel.Information, "apply: {Map}: {Entries} entries replaced in place, no reload", EventName = "MapReplaced")]
    public static partial void MapReplaced(this ILogger log, string map, int entries);

    [LoggerMessage(302, LogLevel.Error, "apply: haproxy -c refused bundle {Sha256}; the previous config stays: {Alerts}", EventName = "ConfigRefused")]
    public static partial void ConfigRefused(this ILogger log, string sha256, string alerts);

    [LoggerMessage(303, LogLevel.Information, "apply: bundle {Sha256} runs after one reload", EventName = "BundleRunning")]
    public static partial void BundleRunning(this ILogger log, string sha256);

    [LoggerMessage(304, LogLevel.Error, "apply: bundle {Sha256} failed its health check; back on the previous config {SecondsBack} s later", EventName = "BundleReverted")]
    public static partial void BundleReverted(this ILogger log, string sha256, double secondsBack);

    [LoggerMessage(305, LogLevel.Warning, "reload: no new worker {Seconds} s after reload {Sent}; sending it again", EventName = "ReloadResent")]
    public static partial void ReloadResent(this ILogger log, double seconds, int sent);

    [LoggerMessage(306, LogLevel.Information, "reload: worker {Worker} took over from {Previous}", EventName = "Reloaded")]
    public static partial void Reloaded(this ILogger log, int worker, int previous);

    /// <summary>An exception's message, which may quote a reply, on one line.</summary>
    public static string Detail(Exception e) => e.Message.ReplaceLineEndings(" ");
}
