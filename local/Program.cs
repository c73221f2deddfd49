using System.Globalization;
using HaproxyCluster.Config;
using HaproxyCluster.Infra;
using HaproxyCluster.Local;

// Renders what the local stand-in runs, for scripts/local.sh and scripts/bench.sh:
//   nodes <env> <out> <nodes> <backend-address> <first-port>
//       out/node<i>/ (a bundle rendered for that folder) and out/backends.tsv (pool, index, address, port)
//   bench <env> <out> <hosts> <bind-address> <backend-address> <first-port> <http-port> <health-port> <admin-port> <log-target>
//       out/ (one bundle with a host table of <hosts> entries, every listener on <bind-address>,
//       logs sent to <log-target>, such as tcp@127.0.0.1:5140 as on a node)
var command = args.ElementAtOrDefault(0);
var env = Environments.Select(args.ElementAtOrDefault(1))[0];
var output = Path.GetFullPath(args.ElementAtOrDefault(2) ?? throw new ArgumentException("no output folder"));
int Number(int index) => int.Parse(args[index], CultureInfo.InvariantCulture);

switch (command)
{
    case "nodes":
        var backends = LocalTopology.Backends(env.Haproxy, args[4], Number(5));
        for (var node = 1; node <= Number(3); node++)
        {
            var folder = Path.Combine(output, $"node{node}");
            var spec = LocalTopology.NodeSpec(env.Haproxy, backends, Path.Combine(folder, "admin.sock"));
            ConfigRenderer.Render(spec, folder).WriteTo(folder);
        }

        WriteBackends(backends);
        break;
    case "bench":
        var benchBackends = LocalTopology.Backends(env.Haproxy, args[5], Number(6));
        var nodeSpec = LocalTopology.WithHostTable(LocalTopology.NodeSpec(env.Haproxy, benchBackends, Path.Combine(output, "admin.sock"), args[4]), Number(3));
        var benchSpec = nodeSpec with
        {
            Listeners = env.Haproxy.Listeners with { BindAddress = args[4], HttpPort = Number(7), TlsOriginPort = Number(7) + 1, HealthPort = Number(8), AdminPort = Number(9) },
            Global = nodeSpec.Global with { LogTarget = args[10] },
        };
        ConfigRenderer.Render(benchSpec, output).WriteTo(output);
        WriteBackends(benchBackends);
        break;
    default:
        Console.Error.WriteLine("usage: nodes <env> <out> <nodes> <backend-address> <first-port> | bench <env> <out> <hosts> <bind> <backend-address> <first-port> <http> <health> <admin> <log-target>");
        return 2;
}

return 0;

void WriteBackends(IEnumerable<LocalTopology.LocalBackend> backends) =>
    File.WriteAllLines(Path.Combine(output, "backends.tsv"), backends.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Pool}\t{b.Index}\t{b.Address}\t{b.Port}")));
