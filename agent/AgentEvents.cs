using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// Everything the agent reports, one event each: a stable name and id, typed fields, and a message
/// for people. Written one JSON object a line (<see cref="EventLineFormatter"/>), so the local
/// harness, tests and CloudWatch Logs Insights read the name and fields, never the message. Ids: 1
/// start-up, 1xx discovery, 2xx rules rollout, 3xx applying a bundle, 4xx a new node's bake.
/// </summary>
internal static partial class AgentEvents
{
    [LoggerMessage(1, LogLevel.Critical, "settings: {File} cannot be used: {Problems}", EventName = NodeEvents.SettingsInvalid)]
    public static partial void SettingsInvalid(this ILogger log, string file, string problems);

    [LoggerMessage(100, LogLevel.Information, "discovery: every pool read; ready", EventName = NodeEvents.DiscoveryReady)]
    public static partial void DiscoveryReady(this ILogger log);

    [LoggerMessage(101, LogLevel.Information, "discovery: no discovered pool; ready", EventName = NodeEvents.NoDiscoveredPool)]
    public static partial void NoDiscoveredPool(this ILogger log);

    [LoggerMessage(102, LogLevel.Information, "discovery: {Pool}/{Slot}: serving {InstanceId} at {Address}:{Port}", EventName = NodeEvents.SlotFilled)]
    public static partial void SlotFilled(this ILogger log, string pool, string slot, string instanceId, string address, int port);

    [LoggerMessage(103, LogLevel.Information, "discovery: {Pool}/{Slot}: draining for up to {DrainSeconds} s ({Reason})", EventName = NodeEvents.SlotDraining)]
    public static partial void SlotDraining(this ILogger log, string pool, string slot, DrainReason reason, int drainSeconds);

    [LoggerMessage(104, LogLevel.Information, "discovery: {Pool}/{Slot}: drained; empty", EventName = NodeEvents.SlotEmptied)]
    public static partial void SlotEmptied(this ILogger log, string pool, string slot);

    [LoggerMessage(105, LogLevel.Warning, "discovery: {Pool}: {Unslotted} instance(s) have no slot ({Slots} slots); raise Ec2Discovery.Slots", EventName = NodeEvents.MembersUnslotted)]
    public static partial void MembersUnslotted(this ILogger log, string pool, int unslotted, int slots);

    [LoggerMessage(106, LogLevel.Warning, "discovery: {What}: EC2 could not be read ({Error}: {Detail}); keeping everything as it is", EventName = NodeEvents.Ec2ReadFailed)]
    public static partial void Ec2ReadFailed(this ILogger log, string what, string error, string detail);

    [LoggerMessage(107, LogLevel.Warning, "discovery: {What}: EC2 throttled the call; keeping everything as it is and waiting longer", EventName = NodeEvents.Ec2Throttled)]
    public static partial void Ec2Throttled(this ILogger log, string what);

    [LoggerMessage(108, LogLevel.Warning, "discovery: HAProxy's Runtime API did not answer ({Detail}); trying again", EventName = NodeEvents.RuntimeApiUnanswered)]
    public static partial void RuntimeApiUnanswered(this ILogger log, string detail);

    [LoggerMessage(109, LogLevel.Warning, "discovery: the pass failed ({Error}: {Detail}); trying again", EventName = NodeEvents.PassFailed)]
    public static partial void PassFailed(this ILogger log, string error, string detail);

    [LoggerMessage(110, LogLevel.Warning, "discovery: {Pool}: running instance(s) that cannot serve, left out: {Instances}", EventName = NodeEvents.InstancesSkipped)]
    public static partial void InstancesSkipped(this ILogger log, string pool, string instances);

    [LoggerMessage(111, LogLevel.Warning, "discovery: {Pool}: instance(s) listing an address a newer instance holds, left out: {Instances}", EventName = NodeEvents.AddressShared)]
    public static partial void AddressShared(this ILogger log, string pool, string instances);

    [LoggerMessage(112, LogLevel.Information, "fleet: {Limit}: {Requests} for {Nodes} nodes, {Share} on this one", EventName = NodeEvents.FleetShareSet)]
    public static partial void FleetShareSet(this ILogger log, string limit, int requests, int nodes, int share);

    [LoggerMessage(113, LogLevel.Information, "discovery: the rules changed; reading the manifest again", EventName = NodeEvents.DiscoveryRestarted)]
    public static partial void DiscoveryRestarted(this ILogger log);

    [LoggerMessage(114, LogLevel.Warning, "discovery: could not start ({Error}: {Detail}); trying again", EventName = NodeEvents.DiscoveryStartFailed)]
    public static partial void DiscoveryStartFailed(this ILogger log, string error, string detail);

    [LoggerMessage(200, LogLevel.Warning, "rules: {Url} does not answer ({Detail}); the running rules stay", EventName = NodeEvents.RulesUnreachable)]
    public static partial void RulesUnreachable(this ILogger log, Uri url, string detail);

    [LoggerMessage(201, LogLevel.Information, "rules: new version, bundle {Sha256}", EventName = NodeEvents.RulesVersionReceived)]
    public static partial void RulesVersionReceived(this ILogger log, string sha256);

    [LoggerMessage(202, LogLevel.Warning, "rules: version refused: {Detail}", EventName = NodeEvents.RulesPayloadRefused)]
    public static partial void RulesPayloadRefused(this ILogger log, string detail);

    [LoggerMessage(203, LogLevel.Information, "rules: bundle {Sha256} applied ({Outcome})", EventName = NodeEvents.RulesApplied)]
    public static partial void RulesApplied(this ILogger log, string sha256, ApplyOutcome outcome);

    [LoggerMessage(204, LogLevel.Error, "rules: bundle {Sha256} FAILED: refused or reverted; the previous rules run", EventName = NodeEvents.RulesFailed)]
    public static partial void RulesFailed(this ILogger log, string sha256);

    [LoggerMessage(205, LogLevel.Critical, "rules: the rollout stopped ({Error}: {Detail}); the agent exits to be restarted", EventName = NodeEvents.RolloutStopped)]
    public static partial void RolloutStopped(this ILogger log, string error, string detail);

    [LoggerMessage(300, LogLevel.Error, "apply: bundle sha256 is {Actual}, expected {Expected}; refused", EventName = NodeEvents.BundleHashMismatch)]
    public static partial void BundleHashMismatch(this ILogger log, string actual, string expected);

    [LoggerMessage(301, LogLevel.Information, "apply: {Map}: {Entries} entries replaced in place, no reload", EventName = NodeEvents.MapReplaced)]
    public static partial void MapReplaced(this ILogger log, string map, int entries);

    [LoggerMessage(302, LogLevel.Error, "apply: haproxy -c refused bundle {Sha256}; the previous config stays: {Alerts}", EventName = NodeEvents.ConfigRefused)]
    public static partial void ConfigRefused(this ILogger log, string sha256, string alerts);

    [LoggerMessage(303, LogLevel.Information, "apply: bundle {Sha256} runs after one reload", EventName = NodeEvents.BundleRunning)]
    public static partial void BundleRunning(this ILogger log, string sha256);

    [LoggerMessage(304, LogLevel.Error, "apply: bundle {Sha256} failed its health check; back on the previous config {SecondsBack} s later", EventName = NodeEvents.BundleReverted)]
    public static partial void BundleReverted(this ILogger log, string sha256, double secondsBack);

    [LoggerMessage(307, LogLevel.Information, "apply: bundle {Sha256} started: HAProxy runs it, its pools are filled and it is healthy", EventName = NodeEvents.BundleStarted)]
    public static partial void BundleStarted(this ILogger log, string sha256);

    [LoggerMessage(308, LogLevel.Error, "apply: bundle {Sha256} did not start healthy; HAProxy is stopped and the previous files are back", EventName = NodeEvents.BundleNotStarted)]
    public static partial void BundleNotStarted(this ILogger log, string sha256);

    [LoggerMessage(309, LogLevel.Warning, "install: no discovery pass read every pool in {Seconds} s", EventName = NodeEvents.PoolsNotRead)]
    public static partial void PoolsNotRead(this ILogger log, int seconds);

    [LoggerMessage(305, LogLevel.Warning, "reload: no new worker {Seconds} s after reload {Sent}; sending it again", EventName = NodeEvents.ReloadResent)]
    public static partial void ReloadResent(this ILogger log, double seconds, int sent);

    [LoggerMessage(306, LogLevel.Information, "reload: worker {Worker} took over from {Previous}", EventName = NodeEvents.Reloaded)]
    public static partial void Reloaded(this ILogger log, int worker, int previous);

    [LoggerMessage(400, LogLevel.Information, "bake: serving real traffic for {Seconds} s before signalling; it passes at {MaxOwnFailurePercent} % own failures or fewer (judged on {MinimumRequests} requests or more); worker {Worker}", EventName = NodeEvents.BakeStarted)]
    public static partial void BakeStarted(this ILogger log, int seconds, int minimumRequests, double maxOwnFailurePercent, int worker);

    [LoggerMessage(401, LogLevel.Information, "bake: {Elapsed} of {Seconds} s: {Requests} requests, {OwnFailures} own failures ({Kinds})", EventName = NodeEvents.BakeProgress)]
    public static partial void BakeProgress(this ILogger log, int elapsed, int seconds, int requests, int ownFailures, string kinds);

    [LoggerMessage(402, LogLevel.Information, "bake: passed: {Requests} requests (under the minimum, judged on those: {BelowMinimum}), {OwnFailures} own failures ({OwnFailurePercent} %, at most {MaxOwnFailurePercent} % allowed)", EventName = NodeEvents.BakePassed)]
    public static partial void BakePassed(this ILogger log, int requests, bool belowMinimum, int ownFailures, double ownFailurePercent, double maxOwnFailurePercent);

    [LoggerMessage(403, LogLevel.Error, "bake: FAILED on {Requests} requests, {OwnFailures} own failures ({OwnFailurePercent} %, at most {MaxOwnFailurePercent} % allowed; {Kinds}): {Reason}", EventName = NodeEvents.BakeFailed)]
    public static partial void BakeFailed(this ILogger log, int requests, int ownFailures, double ownFailurePercent, double maxOwnFailurePercent, string kinds, string reason);

    [LoggerMessage(404, LogLevel.Information, "bake: none configured; the node signals once it is healthy", EventName = NodeEvents.BakeSkipped)]
    public static partial void BakeSkipped(this ILogger log);

    [LoggerMessage(500, LogLevel.Information, "tls: certificate {Name} installed from {Parameter} version {Version}: {Subject}, serial {Serial}, sha256 {Sha256}, valid until {NotAfter} ({DaysLeft} days)", EventName = NodeEvents.CertificateInstalled)]
    public static partial void CertificateInstalled(this ILogger log, string name, string parameter, long version, string subject, string serial, string sha256, DateTimeOffset notAfter, double daysLeft);

    [LoggerMessage(501, LogLevel.Information, "tls: certificate {Name} rotated to {Parameter} version {Version} through the Runtime API, no reload: {Subject}, serial {Serial}, sha256 {Sha256}, valid until {NotAfter} ({DaysLeft} days)", EventName = NodeEvents.CertificateRotated)]
    public static partial void CertificateRotated(this ILogger log, string name, string parameter, long version, string subject, string serial, string sha256, DateTimeOffset notAfter, double daysLeft);

    [LoggerMessage(502, LogLevel.Warning, "tls: certificate {Name}: parameter {Parameter} not read ({Error}: {Detail}); the node keeps what it serves and tries again", EventName = NodeEvents.CertificateUnread)]
    public static partial void CertificateUnread(this ILogger log, string name, string parameter, string error, string detail);

    [LoggerMessage(503, LogLevel.Error, "tls: certificate {Name}: parameter {Parameter} version {Version} refused: {Problem}; the node keeps what it serves", EventName = NodeEvents.CertificateRefused)]
    public static partial void CertificateRefused(this ILogger log, string name, string parameter, long version, string problem);

    [LoggerMessage(504, LogLevel.Error, "tls: certificate {Name}: HAProxy refused {Step}: {Answer}; the node keeps what it serves and tries again", EventName = NodeEvents.CertificateSwapFailed)]
    public static partial void CertificateSwapFailed(this ILogger log, string name, string step, string answer);

    [LoggerMessage(505, LogLevel.Warning, "tls: refresh failed ({Error}: {Detail}); trying again at the next", EventName = NodeEvents.CertificatesNotRefreshed)]
    public static partial void CertificatesNotRefreshed(this ILogger log, string error, string detail);

    /// <summary>An exception's message, which may quote a reply, on one line.</summary>
    public static string Detail(Exception e) => e.Message.ReplaceLineEndings(" ");
}
