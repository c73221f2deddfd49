using System.Globalization;
using HaproxyCluster.Config;
using HaproxyCluster.Infra;
using HaproxyCluster.Node;
using HaproxyCluster.UserData;

namespace HaproxyCluster.Local;

/// <summary>
/// Turns an environment's spec into the spec a node of the local stand-in runs: the same rules
/// and defaults, with each pool's servers (or DNS discovery) replaced by local backends, logs on
/// stdout, a Runtime API socket and server-state file per node, and the local load generator
/// exempt from rate limits (as a monitoring probe would be). An EC2-discovered pool stays
/// discovered: its instances are local backends with addresses of their own, which the EC2
/// stand-in lists and the node agent puts in the slots. Nothing else changes, so what runs
/// locally is the real config.
/// </summary>
public static class LocalTopology
{
    /// <summary>Backend servers per pool: two, so one can die while the other serves.</summary>
    public const int ServersPerPool = 2;

    /// <summary>The address range the local load comes from (loopback, through the front).</summary>
    public const string LoadSource = "127.0.0.0/8";

    /// <summary>Instances an EC2-discovered pool can have locally: enough to scale 2 → 6.</summary>
    public const int InstancesPerDiscoveredPool = 6;

    /// <summary>
    /// One local backend: which pool it stands in for, where it listens, and its one name, which
    /// its echo answers with and the rest of the cluster knows it by: <c>web-1</c> for a static
    /// pool's server (the node's stats name it so), the instance id for an EC2-discovered pool's
    /// instance (the agent's events say which slot serves it).
    /// </summary>
    public sealed record LocalBackend(string Pool, int Index, string Address, int Port, string Name);

    /// <summary>
    /// The backends for <paramref name="spec"/>'s pools: two per pool on <paramref name="address"/>,
    /// ports numbered from <paramref name="firstPort"/>; an EC2-discovered pool's instances each on
    /// an address of their own (<paramref name="address"/> with last byte 100 + pool number × 10 + index) and the pool's port.
    /// </summary>
    public static IReadOnlyList<LocalBackend> Backends(HaproxySpec spec, string address, int firstPort)
    {
        var pools = spec.Pools.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var servers = pools.Where(p => p.Discovery is not Ec2Discovery)
            .SelectMany(p => Enumerable.Range(1, ServersPerPool).Select(i => (p.Name, i)))
            .Select((b, n) => new LocalBackend(b.Name, b.i, address, firstPort + n, string.Create(CultureInfo.InvariantCulture, $"{b.Name}-{b.i}")));
        var bytes = System.Net.IPAddress.Parse(address).GetAddressBytes();
        var instances = pools.Select((p, n) => (Pool: p, Number: n)).Where(p => p.Pool.Discovery is Ec2Discovery)
            .SelectMany(p => Enumerable.Range(1, InstancesPerDiscoveredPool).Select(i =>
            {
                var instance = new System.Net.IPAddress([bytes[0], bytes[1], bytes[2], (byte)(100 + (p.Number * 10) + i)]);
                var id = string.Create(CultureInfo.InvariantCulture, $"i-{Convert.ToHexStringLower(instance.GetAddressBytes())}{i:x9}");
                return new LocalBackend(p.Pool.Name, i, instance.ToString(), p.Pool.Discovery!.Port, id);
            }));
        return [.. servers, .. instances];
    }

    /// <summary>
    /// The EC2 stand-in's view of every discovered pool's instances, one line each (pool, then the
    /// instances file's line), launched a minute apart; local.sh lists some of them as running.
    /// </summary>
    public static IEnumerable<string> Instances(HaproxySpec spec, IReadOnlyList<LocalBackend> backends)
    {
        foreach (var pool in spec.Pools.Where(p => p.Discovery is Ec2Discovery))
        {
            var discovery = (Ec2Discovery)pool.Discovery!;
            var tags = discovery.AutoScalingGroup is { } autoScalingGroup
                ? new Dictionary<string, string> { ["aws:autoscaling:groupName"] = autoScalingGroup }
                : discovery.Tags.ToDictionary(t => t.Key, t => t.Value);
            foreach (var backend in backends.Where(b => b.Pool == pool.Name))
            {
                yield return pool.Name + "\t" + new Ec2StandIn.Instance(backend.Name, backend.Address, "running", new DateTime(2026, 11, 1, 0, backend.Index, 0, DateTimeKind.Utc), tags).Line;
            }
        }
    }

    /// <summary>
    /// Lists <paramref name="pool"/> in the EC2 stand-in's file under <paramref name="localDir"/>
    /// (<c>ec2-instances.tsv</c>): its first <paramref name="running"/> instances of
    /// <c>instances.tsv</c>, and the next <paramref name="leaving"/> tagged as leaving (as the
    /// scale-in hook tags an instance its group terminates); instances past those are gone. Other
    /// pools stay as they were last listed (<c>ec2/POOL.tsv</c>).
    /// </summary>
    /// <exception cref="ArgumentException">No such discovered pool, or fewer instances than asked for; the message says what there is.</exception>
    public static void ListInstances(string localDir, string pool, int running, int leaving)
    {
        var all = File.ReadLines(Path.Combine(localDir, "instances.tsv")).Select(line => line.Split('\t', 2)).ToList();
        var available = all.Count(f => f[0] == pool);
        if (available == 0)
        {
            var discovered = all.Select(f => f[0]).Distinct().ToList();
            throw new ArgumentException($"'{pool}' is not an EC2-discovered pool of the local cluster; " + (discovered.Count == 0 ? "its environment discovers none" : $"use {string.Join(" or ", discovered)}"));
        }

        if (running < 0 || leaving < 0 || running + leaving > available)
        {
            throw new ArgumentException(FormattableString.Invariant($"{pool} has {available} local instances; ask for 0 to {available} running and leaving together, not {running} + {leaving}"));
        }

        var mine = all.Where(f => f[0] == pool).Select(f => Ec2StandIn.Instance.Parse(f[1])).Take(running + leaving)
            .Select((instance, n) => n < running ? instance : instance with { Tags = new Dictionary<string, string>(instance.Tags) { [MembershipManifest.LeavingTag] = "1" } });
        var pools = Directory.CreateDirectory(Path.Combine(localDir, "ec2")).FullName;
        File.WriteAllLines(Path.Combine(pools, pool + ".tsv"), mine.Select(i => i.Line));
        Ec2StandIn.Write(Path.Combine(localDir, "ec2-instances.tsv"), Directory.GetFiles(pools, "*.tsv").Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines).Select(Ec2StandIn.Instance.Parse));
    }

    /// <summary>Where each local node's folder is mounted in the node's own mount namespace, so every node runs the same bundle.</summary>
    public const string NodeRoot = "/mnt";

    /// <summary>
    /// The bundle every local node runs, as a node sees it: config in <c>/mnt/haproxy</c>, admin
    /// socket and server state in <c>/mnt/run</c> (local.sh mounts each node's folder on /mnt).
    /// </summary>
    public static ConfigBundle NodeBundle(HaproxySpec spec, IReadOnlyList<LocalBackend> backends) =>
        ConfigRenderer.Render(NodeSpec(spec, backends, $"{NodeRoot}/run/admin.sock"), $"{NodeRoot}/haproxy");

    /// <summary>The ports of the stand-ins on the bridge, and the agents' pace, as local.sh runs them.</summary>
    public sealed record StandIns(string BridgeAddress, int Ec2Port, int AppConfigPort, int EmfPort, int DiscoveryIntervalSeconds, int RulesPollSeconds, int SsmPort);

    /// <summary>
    /// A local node's agent settings, as a node sees them (its folder on <see cref="NodeRoot"/>):
    /// the environment's health endpoint, the stand-ins for EC2, AppConfig and the CloudWatch agent,
    /// and a reload that signals the master whose pid local.sh keeps in <c>master.pid</c>.
    /// </summary>
    /// <remarks>With <paramref name="tls"/>, the agent reads the certificates from the Parameter Store stand-in as often as it polls the rules.</remarks>
    public static NodeSettings AgentSettings(string env, Listeners listeners, StandIns standIns, NodeBake bake, NodeTls? tls = null)
    {
        var rules = new Uri(new RulesSource { Application = RulesDeployment.ApplicationName(env), Environment = env, Profile = RulesDeployment.ProfileName }.Url);
        return new NodeSettings
        {
            Region = "eu-west-1",
            Ec2Endpoint = $"http://{standIns.BridgeAddress}:{standIns.Ec2Port.ToString(CultureInfo.InvariantCulture)}/",
            RulesUrl = $"http://{standIns.BridgeAddress}:{standIns.AppConfigPort.ToString(CultureInfo.InvariantCulture)}{rules.PathAndQuery}",
            RulesPollSeconds = standIns.RulesPollSeconds,
            DiscoveryIntervalSeconds = standIns.DiscoveryIntervalSeconds,
            ConfigDirectory = $"{NodeRoot}/haproxy",
            RuntimeSocket = $"{NodeRoot}/run/admin.sock",
            HealthPort = listeners.HealthPort,
            HealthPath = listeners.HealthPath,
            ReloadCommand = ["/bin/sh", "-c", $"kill -USR2 \"$(cat {NodeRoot}/master.pid)\""],
            // A new instance's first start (ImageRollout), as local.sh starts HAProxy: logging to haproxy.log, its master's pid kept.
            StartCommand = ["/bin/sh", "-c", $"haproxy -W -db -f {NodeRoot}/haproxy/{ConfigBundle.ConfigFileName} >> {NodeRoot}/haproxy.log 2>&1 & echo $! > {NodeRoot}/master.pid"],
            StopCommand = ["/bin/sh", "-c", $"kill \"$(cat {NodeRoot}/master.pid)\""],
            Bake = bake,
            AccessLog = $"{NodeRoot}/haproxy.log",
            AgentLog = $"{NodeRoot}/agent.log",
            MetricsNamespace = NodeAgentMetrics.Namespace(env),
            MetricsAddress = $"{standIns.BridgeAddress}:{standIns.EmfPort.ToString(CultureInfo.InvariantCulture)}",
            Tls = tls is null ? null : new NodeTlsSettings
            {
                CertificateDirectory = LocalPki.CertificateDirectory,
                Certificates = tls.Certificates,
                RefreshSeconds = standIns.RulesPollSeconds,
                SsmEndpoint = $"http://{standIns.BridgeAddress}:{standIns.SsmPort.ToString(CultureInfo.InvariantCulture)}/",
            },
        };
    }

    /// <summary>
    /// <paramref name="rollout"/> as the AppConfig stand-in's deployment query, each minute of the
    /// strategy taking <paramref name="secondsPerMinute"/> seconds.
    /// </summary>
    public static string StrategyQuery(RulesRollout rollout, double secondsPerMinute)
    {
        var steps = rollout.Steps();
        var stepSeconds = steps.Count == 1 ? 0 : rollout.DeploymentTime.TotalMinutes * secondsPerMinute / (steps.Count - 1);
        return string.Create(CultureInfo.InvariantCulture,
            $"steps={string.Join(',', steps.Select(s => s.ToString("0.##", CultureInfo.InvariantCulture)))}&step-seconds={stepSeconds:0.##}&bake-seconds={rollout.BakeTime.TotalMinutes * secondsPerMinute:0.##}");
    }

    /// <summary>
    /// <paramref name="spec"/> as <c>make rollout</c> and chaos change it: <paramref name="tenants"/>
    /// more rows in its first host table (a table-only change), and, when given, a request header
    /// <c>X-Rules-Version</c> (a rule change, which reloads).
    /// </summary>
    public static HaproxySpec Changed(HaproxySpec spec, int tenants, string? rulesVersion) => spec with
    {
        Routes = spec.Routes.Select(route => route is HostTableRoute table && table == spec.Routes.OfType<HostTableRoute>().First()
            ? table with { Entries = [.. table.Entries, .. Enumerable.Range(0, tenants).Select(i => new TableEntry(BenchHost(i), table.Entries[0].Pool))] }
            : route).ToValueList(),
        RequestRules = rulesVersion is null ? spec.RequestRules : [.. spec.RequestRules, Rule.SetHeader("X-Rules-Version", rulesVersion)],
    };

    /// <summary>
    /// <paramref name="bundle"/> broken on purpose, for chaos: <c>check</c> adds a line haproxy -c
    /// refuses; <c>health</c> makes the health endpoint fail while requests are still served.
    /// </summary>
    public static ConfigBundle Faulty(ConfigBundle bundle, string fault) => new(bundle.Files.Select(file => file.Path != ConfigBundle.ConfigFileName ? file : file with
    {
        Content = fault switch
        {
            "check" => file.Content + "    not-a-haproxy-keyword\n",
            "health" => System.Text.RegularExpressions.Regex.Replace(file.Content, "(?m)^    monitor fail if .*$", "    monitor fail if TRUE"),
            _ => throw new ArgumentException($"unknown fault '{fault}'; use check or health", nameof(fault)),
        },
    }).ToValueList());

    /// <summary>The node's spec: <paramref name="spec"/> pointed at <paramref name="backends"/>.</summary>
    public static HaproxySpec NodeSpec(HaproxySpec spec, IReadOnlyList<LocalBackend> backends, string runtimeSocket, string bindAddress = "") => spec with
    {
        Pools = spec.Pools.Select(pool => pool.Discovery is Ec2Discovery ? pool : pool with
        {
            Servers = backends.Where(b => b.Pool == pool.Name)
                .Select(b => new Server(b.Address, b.Port) { Name = b.Name })
                .ToValueList(),
            Discovery = null,
        }).ToValueList(),
        RequestRules = spec.RequestRules.Select(rule => rule is RateLimitRule limit
            ? limit with { Exempt = [.. limit.Exempt, LoadSource] }
            : rule).ToValueList(),
        Listeners = spec.Listeners with { BindAddress = bindAddress },
        Global = spec.Global with
        {
            LogTarget = "stdout",
            RuntimeSocketPath = runtimeSocket,
            ServerStateFile = Path.Combine(Path.GetDirectoryName(runtimeSocket)!, "server-state"),
            User = null,
            MaxConnections = 4000,
        },
    };

    /// <summary><paramref name="spec"/> with a host table of <paramref name="hosts"/> entries first in its routes.</summary>
    public static HaproxySpec WithHostTable(HaproxySpec spec, int hosts) => spec with
    {
        Routes = [Route.HostTable("bench-hosts", [.. Enumerable.Range(0, hosts).Select(i => new TableEntry(BenchHost(i), spec.DefaultPool))]), .. spec.Routes],
    };

    /// <summary>
    /// Where the upgraded-connection echo listens (socat running scripts/upgrade-echo.sh, on
    /// loopback beside the backends): it answers an Upgrade request 101, then echoes every byte, a
    /// WebSocket's shape without its framing.
    /// </summary>
    public const int UpgradeEchoPort = 18999;

    /// <summary>
    /// A local backend's haproxy.cfg: it answers every request with what it received, as JSON (its
    /// pool and server, the method, path, query and the raw header block), so a user trying the
    /// cluster sees what the rules did to a request. A request asking to upgrade to <c>echo</c> goes
    /// on to the upgrade echo instead, and its tunnel stays open as long as the client keeps it; any
    /// other upgrade (<c>curl --http2</c>'s h2c) is answered as a plain request, as a real backend would.
    /// </summary>
    public static string EchoBackendConfig(LocalBackend backend) => "global\n    maxconn 4000\n" + BackendHead(backend) + string.Create(CultureInfo.InvariantCulture, $"""
            http-request return status 200 content-type application/json lf-string '{"{"}"pool":"{backend.Pool}","server":"{backend.Name}","method":"%[method]","path":"%[path,json(utf8s)]","query":"%[query,json(utf8s)]","headers":"%[req.hdrs,json(utf8s)]"{"}"}' unless {"{"} req.hdr(upgrade) -i -m str echo {"}"}
            use_backend upgraded
        backend upgraded
            timeout tunnel 1h
            server echo 127.0.0.1:{UpgradeEchoPort}

        """);

    /// <summary>The start of a local backend's haproxy.cfg: HTTP defaults, and a frontend on its address and port.</summary>
    public static string BackendHead(LocalBackend backend) => string.Create(CultureInfo.InvariantCulture, $"""
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        frontend backend
            bind {backend.Address}:{backend.Port}

        """);

    /// <summary>
    /// What scripts/local.sh needs to know of the environment, as shell assignments: the front's
    /// ports, the nodes' addresses, the ports and path the front reaches a node on, the NLB's health
    /// check, and what chaos aims at (the default pool and a Host routed to it, and a Host routed to
    /// the first discovered pool), so that editing an environment's rules edits the harness too.
    /// </summary>
    public static string TopologyEnv(HaproxySpec spec, string bridgeAddress, IReadOnlyList<string> nodeZones)
    {
        var nodes = nodeZones.Count;
        var listeners = spec.Listeners;
        var discovered = spec.Pools.Where(p => p.Discovery is Ec2Discovery).Select(p => p.Name).Order(StringComparer.Ordinal).FirstOrDefault();
        var nodeAddresses = string.Join(' ', Enumerable.Range(1, nodes).Select(n => LocalFront.NodeAddress(bridgeAddress, n)));
        return string.Create(CultureInfo.InvariantCulture, $"""
            # Generated by the local renderer from the environment and the NLB's health check; read by scripts/local.sh.
            UPGRADE_ECHO_PORT={UpgradeEchoPort}
            FRONT_HTTP={LocalFront.HttpPort}
            FRONT_TLS={LocalFront.TlsPort}
            FRONT_STATS={LocalFront.StatsPort}
            NODE_ADDRESSES=({nodeAddresses})
            NODE_ZONES=({string.Join(' ', nodeZones)})
            NODE_HTTP_PORT={listeners.HttpPort}
            NODE_TLS_PORT={listeners.Tls?.Port ?? listeners.TlsOriginPort}
            TLS_CERTIFICATES='{string.Join(' ', listeners.Tls?.Certificates ?? [])}'
            SSM_PORT={SsmPort}
            NODE_HEALTH_PORT={listeners.HealthPort}
            NODE_HEALTH_PATH='{listeners.HealthPath}'
            HEALTH_INTERVAL_SECONDS={NodeHealthCheck.IntervalSeconds}
            HEALTH_FALL={NodeHealthCheck.UnhealthyThreshold}
            HEALTH_RISE={NodeHealthCheck.HealthyThreshold}
            DEFAULT_POOL='{spec.DefaultPool}'
            DEFAULT_HOST='{HostsRoutedTo(spec, spec.DefaultPool).FirstOrDefault() ?? UnroutedHost}'
            DISCOVERED_POOL='{discovered}'
            DISCOVERED_HOST='{(discovered is null ? null : HostsRoutedTo(spec, discovered).FirstOrDefault())}'

            """);
    }

    /// <summary>
    /// The zone each of <paramref name="nodes"/> local nodes stands in (<see cref="LocalFront.Zone"/>):
    /// from the environment's zones, or <c>zone-a</c> and <c>zone-b</c> when it leaves them to the stack.
    /// </summary>
    public static IReadOnlyList<string> NodeZones(HaproxyClusterProps props, int nodes) =>
        [.. Enumerable.Range(1, nodes).Select(node => LocalFront.Zone(props.AvailabilityZones ?? ["zone-a", "zone-b"], node))];

    /// <summary>Where the Parameter Store stand-in listens on the bridge.</summary>
    public const int SsmPort = 18502;

    /// <summary>A Host no rule names: what reaches the default pool when no route names one for it.</summary>
    public const string UnroutedHost = "unrouted.local.test";

    /// <summary>The Host names <paramref name="spec"/> routes to <paramref name="pool"/> by name: its host routes and host tables' rows.</summary>
    public static IEnumerable<string> HostsRoutedTo(HaproxySpec spec, string pool)
    {
        static IEnumerable<string> Hosts(Match? match) => match switch
        {
            HostIs host => [host.Name],
            AnyOf any => any.Matches.SelectMany(Hosts),
            _ => [],
        };

        return spec.Routes.SelectMany(route => route switch
        {
            PoolRoute to when to.Pool == pool => Hosts(to.When),
            HostTableRoute table => table.Entries.Where(e => e.Pool == pool).Select(e => e.Key),
            _ => [],
        });
    }

    /// <summary>The name of host number <paramref name="i"/> of a bench table.</summary>
    public static string BenchHost(int i) => string.Create(CultureInfo.InvariantCulture, $"tenant{i}.bench.example.com");
}
