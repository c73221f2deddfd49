using System.CommandLine;
using Amazon.EC2;
using Amazon.Runtime;
using HaproxyCluster.Agent;
using HaproxyCluster.Config;

// The node agent: fills the slots of EC2-discovered pools through HAProxy's Runtime API.
// Run by systemd on every node; run with --help for its options.
var manifestPath = new Option<FileInfo>("--manifest") { Description = "The discovery manifest the renderer wrote into the bundle.", DefaultValueFactory = _ => new FileInfo("/etc/haproxy/" + DiscoveryManifest.FileName) };
var interval = new Option<int>("--interval-seconds") { Description = "Seconds between two passes while EC2 answers.", DefaultValueFactory = _ => 5 };
// A string, parsed here: the trimmed executable keeps no reflection-based converter for Uri.
var endpoint = new Option<string?>("--ec2-endpoint") { Description = "An EC2 API endpoint other than the region's (the local stand-in)." };
var region = new Option<string?>("--region") { Description = "The region to sign for. Default: the SDK's (the instance's region on EC2)." };
var once = new Option<bool>("--once") { Description = "Run one pass and exit: 0 when every pool was read, 1 when EC2 failed for one." };
var fleetGroup = new Option<string?>("--fleet-group") { Description = "The HAProxy nodes' auto-scaling group, for fleet-wide rate limits. Default: this instance's, from EC2." };
var instanceId = new Option<string?>("--instance-id") { Description = "This node's instance id. Default: from the instance metadata service (IMDSv2)." };
var metricsNamespace = new Option<string?>("--metrics-namespace") { Description = "The CloudWatch namespace of the agent's metrics, sent as EMF to the CloudWatch agent. Default: no metrics." };
var logGroup = new Option<string?>("--log-group") { Description = "The log group CloudWatch keeps the metrics' EMF objects in (with --metrics-namespace)." };
var readyFile = new Option<FileInfo?>("--ready-file") { Description = "A file created after the first pass that read every pool (the bootstrap waits for it)." };

var root = new RootCommand("HaproxyCluster node agent: EC2 discovery and fleet-wide rate limits through HAProxy's Runtime API.")
{
    manifestPath, interval, endpoint, region, once, fleetGroup, instanceId, metricsNamespace, logGroup, readyFile,
};
root.SetAction(async (parsed, cancellation) =>
{
    var manifest = DiscoveryManifest.FromJson(await File.ReadAllTextAsync(parsed.GetValue(manifestPath)!.FullName, cancellation));
    using var ec2 = Ec2Client(parsed.GetValue(endpoint), parsed.GetValue(region));
    var members = new Ec2Members(ec2);
    var group = manifest.FleetLimits.Count == 0 ? null
        : parsed.GetValue(fleetGroup) ?? await members.GroupOfAsync(parsed.GetValue(instanceId) ?? await InstanceMetadata.InstanceIdAsync(cancellation), cancellation);
    using var metrics = parsed.GetValue(metricsNamespace) is { } name
        ? new PoolMetrics(PoolMetrics.DefaultEndpoint, name, parsed.GetValue(logGroup) ?? name, TimeProvider.System)
        : null;
    var loop = new DiscoveryLoop(manifest, members, new RuntimeApi(manifest.RuntimeSocket), TimeProvider.System, Console.WriteLine, group, metrics);
    if (parsed.GetValue(once))
    {
        return await loop.PassAsync(cancellation) ? 0 : 1;
    }

    await loop.RunAsync(TimeSpan.FromSeconds(parsed.GetValue(interval)), () => MarkReady(parsed.GetValue(readyFile)), cancellation);
    return 0;
});
return await root.Parse(args).InvokeAsync();

static void MarkReady(FileInfo? file)
{
    Console.WriteLine("discovery: every pool read; ready");
    if (file is not null)
    {
        Directory.CreateDirectory(file.DirectoryName!);
        File.WriteAllText(file.FullName, "");
    }
}

// The SDK's own client, its endpoint and signing region set in the order that keeps both (the
// service URL last, with its signing region; a region endpoint after it would win).
static AmazonEC2Client Ec2Client(string? endpoint, string? region)
{
    if (endpoint is null)
    {
        return region is null ? new AmazonEC2Client() : new AmazonEC2Client(Amazon.RegionEndpoint.GetBySystemName(region));
    }

    var config = new AmazonEC2Config { ServiceURL = new Uri(endpoint).ToString(), AuthenticationRegion = region ?? "us-east-1" };
    return new AmazonEC2Client(new BasicAWSCredentials("stand-in", "stand-in"), config);
}
