namespace HaproxyCluster.Node;

/// <summary>
/// The names of the node agent's events (the <c>Event</c> field of each line it writes): what
/// scripts, tests and log queries match, so a message can be reworded and nothing breaks. The agent
/// defines each event's fields and message; this is where the names live for its readers too.
/// </summary>
public static class NodeEvents
{
    /// <summary>The event <c>SettingsInvalid</c>.</summary>
    public const string SettingsInvalid = nameof(SettingsInvalid);

    /// <summary>The event <c>DiscoveryReady</c>.</summary>
    public const string DiscoveryReady = nameof(DiscoveryReady);

    /// <summary>The event <c>NoDiscoveredPool</c>.</summary>
    public const string NoDiscoveredPool = nameof(NoDiscoveredPool);

    /// <summary>The event <c>SlotFilled</c>.</summary>
    public const string SlotFilled = nameof(SlotFilled);

    /// <summary>The event <c>SlotDraining</c>.</summary>
    public const string SlotDraining = nameof(SlotDraining);

    /// <summary>The event <c>SlotEmptied</c>.</summary>
    public const string SlotEmptied = nameof(SlotEmptied);

    /// <summary>The event <c>MembersUnslotted</c>.</summary>
    public const string MembersUnslotted = nameof(MembersUnslotted);

    /// <summary>The event <c>Ec2ReadFailed</c>.</summary>
    public const string Ec2ReadFailed = nameof(Ec2ReadFailed);

    /// <summary>The event <c>Ec2Throttled</c>.</summary>
    public const string Ec2Throttled = nameof(Ec2Throttled);

    /// <summary>The event <c>RuntimeApiUnanswered</c>.</summary>
    public const string RuntimeApiUnanswered = nameof(RuntimeApiUnanswered);

    /// <summary>The event <c>PassFailed</c>.</summary>
    public const string PassFailed = nameof(PassFailed);

    /// <summary>The event <c>InstancesSkipped</c>.</summary>
    public const string InstancesSkipped = nameof(InstancesSkipped);

    /// <summary>The event <c>AddressShared</c>.</summary>
    public const string AddressShared = nameof(AddressShared);

    /// <summary>The event <c>FleetShareSet</c>.</summary>
    public const string FleetShareSet = nameof(FleetShareSet);

    /// <summary>The event <c>DiscoveryRestarted</c>.</summary>
    public const string DiscoveryRestarted = nameof(DiscoveryRestarted);

    /// <summary>The event <c>DiscoveryStartFailed</c>.</summary>
    public const string DiscoveryStartFailed = nameof(DiscoveryStartFailed);

    /// <summary>The event <c>RulesUnreachable</c>.</summary>
    public const string RulesUnreachable = nameof(RulesUnreachable);

    /// <summary>The event <c>RulesVersionReceived</c>.</summary>
    public const string RulesVersionReceived = nameof(RulesVersionReceived);

    /// <summary>The event <c>RulesPayloadRefused</c>.</summary>
    public const string RulesPayloadRefused = nameof(RulesPayloadRefused);

    /// <summary>The event <c>RulesApplied</c>.</summary>
    public const string RulesApplied = nameof(RulesApplied);

    /// <summary>The event <c>RulesFailed</c>.</summary>
    public const string RulesFailed = nameof(RulesFailed);

    /// <summary>The event <c>RolloutStopped</c>.</summary>
    public const string RolloutStopped = nameof(RolloutStopped);

    /// <summary>The event <c>BundleHashMismatch</c>.</summary>
    public const string BundleHashMismatch = nameof(BundleHashMismatch);

    /// <summary>The event <c>MapReplaced</c>.</summary>
    public const string MapReplaced = nameof(MapReplaced);

    /// <summary>The event <c>ConfigRefused</c>.</summary>
    public const string ConfigRefused = nameof(ConfigRefused);

    /// <summary>The event <c>BundleRunning</c>.</summary>
    public const string BundleRunning = nameof(BundleRunning);

    /// <summary>The event <c>BundleReverted</c>.</summary>
    public const string BundleReverted = nameof(BundleReverted);

    /// <summary>The event <c>ReloadResent</c>.</summary>
    public const string ReloadResent = nameof(ReloadResent);

    /// <summary>The event <c>Reloaded</c>.</summary>
    public const string Reloaded = nameof(Reloaded);

    /// <summary>The event <c>BundleStarted</c>.</summary>
    public const string BundleStarted = nameof(BundleStarted);

    /// <summary>The event <c>BundleNotStarted</c>.</summary>
    public const string BundleNotStarted = nameof(BundleNotStarted);

    /// <summary>The event <c>PoolsNotRead</c>.</summary>
    public const string PoolsNotRead = nameof(PoolsNotRead);

    /// <summary>The event <c>BakeStarted</c>.</summary>
    public const string BakeStarted = nameof(BakeStarted);

    /// <summary>The event <c>BakeProgress</c>.</summary>
    public const string BakeProgress = nameof(BakeProgress);

    /// <summary>The event <c>BakePassed</c>.</summary>
    public const string BakePassed = nameof(BakePassed);

    /// <summary>The event <c>BakeFailed</c>.</summary>
    public const string BakeFailed = nameof(BakeFailed);

    /// <summary>The event <c>BakeSkipped</c>.</summary>
    public const string BakeSkipped = nameof(BakeSkipped);

    /// <summary>The event <c>CertificateInstalled</c>.</summary>
    public const string CertificateInstalled = nameof(CertificateInstalled);

    /// <summary>The event <c>CertificateRotated</c>.</summary>
    public const string CertificateRotated = nameof(CertificateRotated);

    /// <summary>The event <c>CertificateUnread</c>.</summary>
    public const string CertificateUnread = nameof(CertificateUnread);

    /// <summary>The event <c>CertificateRefused</c>.</summary>
    public const string CertificateRefused = nameof(CertificateRefused);

    /// <summary>The event <c>CertificateSwapFailed</c>.</summary>
    public const string CertificateSwapFailed = nameof(CertificateSwapFailed);

    /// <summary>The event <c>CertificatesNotRefreshed</c>.</summary>
    public const string CertificatesNotRefreshed = nameof(CertificatesNotRefreshed);
}
