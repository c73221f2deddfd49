using System.Diagnostics;
using HaproxyCluster.Local;
using HaproxyCluster.Node;

namespace HaproxyCluster.UserData.Tests.Support;

/// <summary>
/// A throwaway node for running the real bootstrap script: the Debian 13 root of
/// <c>make tools</c> (HAProxy 3.0, like Amazon Linux 2023's) under an overlay, entered with chroot,
/// so the script's writes land in this sandbox's upper layer and the shared root stays pristine.
/// The AWS- and OS-specific commands are stubs on PATH that record their arguments and act
/// locally: <c>aws s3 cp</c> copies the node agent <c>make agent</c> published, <c>systemctl
/// start haproxy</c> starts the real HAProxy, <c>systemctl restart haproxy-cluster-agent</c> the
/// real agent, <c>systemctl restart rsyslog</c> the real rsyslogd with the script's drop-ins, IMDS
/// calls get fixed answers (only when they carry an IMDSv2 token). The AWS AppConfig Agent is the
/// <see cref="AppConfigStandIn"/> on a loopback port, serving the rules version the test deploys.
/// Every process shares the host's loopback, so tests reach them on the ports the bundle and
/// script name.
/// </summary>
internal sealed class NodeSandbox : IDisposable
{
    /// <summary>The node agent exactly as a node downloads it.</summary>
    public static readonly byte[] PublishedAgent = File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, ".build", "agent",
        System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "linux-arm64" : "linux-x64",
        "haproxy-cluster-agent"));

    private static readonly Dictionary<string, string> Stubs = new()
    {
        ["dnf"] = """
            record dnf "$@"
            [ ! -f /etc/stub-dnf-fails ] || { echo "dnf: repository unreachable" >&2; exit 1; }
            """,
        ["cfn-signal"] = """record cfn-signal "$@" """,
        ["sysctl"] = """record sysctl "$@" """,
        ["amazon-cloudwatch-agent-ctl"] = """record amazon-cloudwatch-agent-ctl "$@" """,
        ["aws"] = """
            record aws "$@"
            if [ "$1 $2" = "s3 cp" ]; then cp /srv/agent "$4"; fi
            """,
        ["curl"] = """
            # IMDS answers here, and only to IMDSv2 (a token header); anything else is the real curl.
            for arg in "$@"; do
              case "$arg" in
                http://169.254.169.254/latest/api/token) record imds-token "$@"; echo test-token; exit 0 ;;
                http://169.254.169.254/*)
                  record imds "$@"
                  case "$arg" in
                    */meta-data/instance-id) answer=i-0123456789abcdef0 ;;
                    */meta-data/tags/instance/aws:autoscaling:groupName) answer=HaproxyCluster-test-ClusterNodesASG-0123ABCD ;;
                    *) exit 22 ;;
                  esac
                  for header in "$@"; do
                    [ "$header" != 'X-aws-ec2-metadata-token: test-token' ] || { echo "$answer"; exit 0; }
                  done
                  exit 22 ;;
              esac
            done
            exec /usr/bin/curl "$@"
            """,
        ["notify-supervisor"] = """
            # notify-supervisor <ready file> <pid file> <command...>: systemd's side of Type=notify.
            # Runs the command as its child, named systemd (the host's check), with NOTIFY_SOCKET
            # set; touches the ready file when READY=1 arrives; lives as long as the command.
            exec perl - "$@" <<'PERL'
            use strict; use warnings; use Socket; use IO::Socket::UNIX; use IO::Select; use POSIX ":sys_wait_h";
            my ($ready, $pid_file, @command) = @ARGV;
            $0 = "systemd";
            my $path = "/run/haproxy-cluster-agent.notify";
            unlink $path;
            my $socket = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "notify socket: $!";
            my $pid = fork() // die "fork: $!";
            if ($pid == 0) { $ENV{NOTIFY_SOCKET} = $path; open STDIN, "<", "/dev/null"; exec @command or die "exec: $!"; }
            open my $out, ">", $pid_file or die; print $out "$pid\n"; close $out;
            my $select = IO::Select->new($socket);
            while (waitpid($pid, WNOHANG) == 0) {
              next unless $select->can_read(0.2);
              $socket->recv(my $message, 4096);
              if ($message =~ /^READY=1$/m) { open my $touch, ">", $ready or die; close $touch; }
            }
            PERL
            """,
        ["systemctl"] = """
            record systemctl "$@"
            if [ "$*" = "restart rsyslog" ]; then
              # The script's drop-ins alone: the distribution's main config reads the journal and
              # would take the host's /dev/log.
              if [ -f /run/rsyslogd.pid ]; then
                old=$(cat /run/rsyslogd.pid)
                kill "$old" 2>/dev/null || true
                for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
                rm -f /run/rsyslogd.pid
              fi
              echo 'include(file="/etc/rsyslog.d/*.conf")' > /etc/rsyslog-sandbox.conf
              exec rsyslogd -f /etc/rsyslog-sandbox.conf -i /run/rsyslogd.pid
            fi
            if [ "${2:-}" = haproxy-cluster-agent ]; then
              # The unit as systemd runs it (Type=notify): its command line under a parent named
              # systemd, with NOTIFY_SOCKET set; restart returns once the agent sent READY=1, and
              # after TimeoutStartSec fails, stopping the agent, as systemd does.
              unit=/etc/systemd/system/haproxy-cluster-agent.service
              agent_pid=/run/haproxy-cluster-agent.pid
              ready=/run/haproxy-cluster-agent.ready
              stop() { if [ -f "$agent_pid" ]; then kill "$(cat "$agent_pid")" 2>/dev/null || true; rm -f "$agent_pid"; fi; }
              case "$1" in
                restart)
                  stop
                  rm -f "$ready"
                  mkdir -p /run/haproxy-cluster-agent
                  command=$(sed -n 's/^ExecStart=//p' "$unit")
                  log=$(sed -n 's/^StandardOutput=append://p' "$unit")
                  timeout=$(sed -n 's/^TimeoutStartSec=//p' "$unit")
                  # shellcheck disable=SC2086 # the unit's words, split as systemd splits them
                  setsid notify-supervisor "$ready" "$agent_pid" $command >> "$log" 2>&1 < /dev/null &
                  for _ in $(seq $((timeout * 10))); do
                    if [ -f "$ready" ]; then exit 0; fi
                    sleep 0.1
                  done
                  stop
                  exit 1 ;;
                stop) stop ;;
              esac
              exit 0
            fi
            pidfile=/run/haproxy.pid
            running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
            [ "${2:-}" = haproxy ] || exit 0
            case "$1" in
              reload) kill -USR2 "$(cat "$pidfile")" ;;
              start|restart|reload-or-restart)
                if [ "$1" = reload-or-restart ] && running; then kill -USR2 "$(cat "$pidfile")"; sleep 1; exit 0; fi
                if running; then kill "$(cat "$pidfile")"; sleep 0.5; fi
                mkdir -p /run/haproxy
                exec haproxy -W -D -f /etc/haproxy/haproxy.cfg -p "$pidfile" ;;
              stop) if running; then kill "$(cat "$pidfile")"; sleep 0.5; fi; rm -f "$pidfile" ;;
              is-active) running ;;
            esac
            """,
    };

    private readonly string _root = Directory.CreateTempSubdirectory("node-sandbox-").FullName;
    private readonly AppConfigStandIn _appConfig = new(FreePort.Next());
    private Process? _mounts;

    /// <summary>A node whose AppConfig has <paramref name="bundle"/> deployed.</summary>
    public NodeSandbox(BundleArchive bundle)
    {
        foreach (var dir in new[] { "upper/usr/local/bin", "upper/srv", "upper/root", "upper/var/log", "work", "merged" })
        {
            Directory.CreateDirectory(Path.Combine(_root, dir));
        }

        foreach (var (name, body) in Stubs)
        {
            var path = Path.Combine(Upper, "usr/local/bin", name);
            File.WriteAllText(path, "#!/bin/bash\nrecord() { printf '%s\\n' \"$*\" >> /var/log/stub-calls.log; }\n" + body + "\n");
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }

        // Every Amazon Linux image has it; the debootstrapped root has none. Discovered pools' slots
        // name localhost, so that HAProxy restores their addresses from the server-state file.
        Directory.CreateDirectory(Path.Combine(Upper, "etc"));
        File.WriteAllText(Path.Combine(Upper, "etc/hosts"), "127.0.0.1   localhost localhost.localdomain\n::1         localhost6 localhost6.localdomain6\n");
        Agent(PublishedAgent);
        Deploy(bundle);
    }

    /// <summary>Where the AppConfig stand-in answers, as the AppConfig Agent's port.</summary>
    public int RulesPort => _appConfig.Endpoint.Port;

    /// <summary>Deploys <paramref name="bundle"/> as the next rules version, to the node at once.</summary>
    public void Deploy(BundleArchive bundle) => DeployPayload(RulesPayload.Encode(bundle));

    /// <summary>Deploys <paramref name="payload"/>, as it is, as the next rules version.</summary>
    public void DeployPayload(string payload) => _appConfig.Deploy(payload, [], TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>The overlay's upper layer: every file the script wrote, at its path on the node.</summary>
    public string Upper => Path.Combine(_root, "upper");

    /// <summary>The node agent <c>aws s3 cp</c> hands the script.</summary>
    public void Agent(byte[] executable) => File.WriteAllBytes(Path.Combine(Upper, "srv/agent"), executable);

    /// <summary>The pid of the node agent the stub started, if it still runs.</summary>
    public int? AgentPid => RunningPid("run/haproxy-cluster-agent.pid");

    /// <summary>Makes the next <c>dnf install</c> fail, as when a repository is unreachable.</summary>
    public void BreakDnf()
    {
        Directory.CreateDirectory(Path.Combine(Upper, "etc"));
        File.WriteAllText(Path.Combine(Upper, "etc/stub-dnf-fails"), "");
    }

    /// <summary>
    /// Runs <paramref name="script"/> as the node's user data; returns its exit code and output.
    /// Every run of a sandbox shares one overlay mount, as a node keeps one root file system: a
    /// second run reaches the daemons and sockets the first one started.
    /// </summary>
    public (int ExitCode, string Output) Run(string script)
    {
        var merged = Path.Combine(_root, "merged");
        var hostScript = Path.Combine(_root, "user-data.sh");
        File.WriteAllText(hostScript, script);
        return Command.Run("env", Marker, "nsenter", "-t", MountNamespace().ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "--", "sh", "-c",
            $"cp {hostScript} {merged}/root/user-data.sh && exec timeout 180 chroot {merged} /bin/bash /root/user-data.sh");
    }

    /// <summary>
    /// The pid of the process that holds the node's mount namespace (the overlay, with /proc and
    /// /dev bound in it), made on the first run; it carries the marker, so Dispose ends it, and
    /// the mounts with it.
    /// </summary>
    private int MountNamespace()
    {
        if (_mounts is null)
        {
            var merged = Path.Combine(_root, "merged");
            var ready = Path.Combine(_root, "mounted");
            // Everything the script starts inherits the marker, so Dispose finds daemons that forked away.
            _mounts = Process.Start(new ProcessStartInfo("env", [Marker, "unshare", "--mount", "--propagation", "private", "bash", "-c",
                $"mount -t overlay overlay -o lowerdir={HaproxyCheck.Haproxy30Root},upperdir={Upper},workdir={_root}/work {merged}"
                + $" && mount --bind /proc {merged}/proc && mount --bind /dev {merged}/dev && touch {ready} && exec sleep infinity"]))!;
            var clock = Stopwatch.StartNew();
            while (!File.Exists(ready))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10) && !_mounts.HasExited, "the sandbox's overlay was not mounted");
                Thread.Sleep(20);
            }
        }

        return _mounts.Id;
    }

    /// <summary>The calls the stubs recorded, in order, for command <paramref name="name"/>.</summary>
    public IReadOnlyList<string> Calls(string name)
    {
        var log = Path.Combine(Upper, "var/log/stub-calls.log");
        return File.Exists(log) ? File.ReadAllLines(log).Where(l => l.StartsWith(name + " ", StringComparison.Ordinal)).ToList() : [];
    }

    /// <summary>The pid of the HAProxy master the stub started, if it still runs.</summary>
    public int? HaproxyPid => RunningPid("run/haproxy.pid");

    /// <summary>The text of a file as the script left it on the node.</summary>
    public string ReadFile(string nodePath) => File.ReadAllText(Path.Combine(Upper, nodePath.TrimStart('/')));

    /// <summary>The environment entry every process of this sandbox carries.</summary>
    public string Marker => $"HAPROXY_CLUSTER_SANDBOX={_root}";

    public void Dispose()
    {
        _appConfig.Dispose();
        MarkedProcesses.KillAll(Marker);
        _mounts?.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private int? RunningPid(string pidFile)
    {
        var path = Path.Combine(Upper, pidFile);
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var pid) && Directory.Exists($"/proc/{pid}")
            ? pid
            : null;
    }
}
